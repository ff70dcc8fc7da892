import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api-client.ts';

/** A failed call, said as the API said it, with what to do next when there is something. */
export function ErrorNotice({ error, children }: { error: ApiError | undefined; children?: ComponentChildren }) {
  if (!error) return null;
  return (
    <div class="notice notice-error" role="alert">
      <strong>{error.status ? `${error.status} ${error.code}` : 'Unreachable'}</strong> {error.message}
      {children}
    </div>
  );
}

/** What an empty list means, and the way to fill it. */
export function EmptyState({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}
