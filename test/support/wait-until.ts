/**
 * The one way a test waits for something that happens in another process, timer or socket:
 * vitest's `vi.waitFor`, polling `read` until `accept` holds for what it returned. On timeout it
 * fails with `what` and the last value read (or the last error `read` threw), so a stuck wait
 * says where it stopped instead of ending as a bare test timeout. A test that asserts inside its
 * condition (`expect(...)`) can call `vi.waitFor` directly: the failed expectation is the message.
 */
import { vi } from 'vitest';

/** Long enough for a task to start on a loaded 2-core machine, short of the tests' own timeouts. */
export const WAIT_TIMEOUT_MS = 15_000;
const POLL_MS = 50;

export async function waitUntil<T>(what: string, read: () => T | Promise<T>, accept: (value: T) => boolean, timeoutMs = WAIT_TIMEOUT_MS): Promise<T> {
  let seen: { value: T } | { error: unknown } | undefined;
  try {
    return await vi.waitFor(
      async () => {
        try {
          seen = { value: await read() };
        } catch (error) {
          seen = { error };
          throw error;
        }
        if (!accept(seen.value)) throw new Error('not yet');
        return seen.value;
      },
      { timeout: timeoutMs, interval: POLL_MS },
    );
  } catch {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${describe(seen)}`);
  }
}

function describe(seen: { value: unknown } | { error: unknown } | undefined): string {
  if (seen === undefined) return 'nothing was read';
  if ('error' in seen) return `the last read failed: ${seen.error instanceof Error ? seen.error.message : String(seen.error)}`;
  const text = JSON.stringify(seen.value) ?? String(seen.value);
  return `last seen: ${text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text}`;
}
