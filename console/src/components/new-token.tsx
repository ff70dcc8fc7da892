/** A token just issued: shown this once, with a copy button; it cannot be read again. */
import { useState } from 'preact/hooks';

export function NewToken({ token, expiresAt, onDone }: { token: string; expiresAt: string; onDone(): void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="notice notice-success" role="status">
      <p>
        <strong>Copy this token now:</strong> it is shown only once (it expires {new Date(expiresAt).toLocaleDateString()}).
      </p>
      <div class="token-row">
        <code class="token" data-testid="new-token">
          {token}
        </code>
        <button type="button" class="button small" onClick={() => void navigator.clipboard?.writeText(token).then(() => setCopied(true))}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" class="button small ghost" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
