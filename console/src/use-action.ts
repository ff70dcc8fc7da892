/**
 * A user action that calls the API: whether it is under way (to disable its button), and the
 * error it ended with, kept for showing until the next action starts.
 */
import { useState } from 'preact/hooks';
import { ApiError } from './api-client.ts';

export interface Action {
  busy: boolean;
  error: ApiError | undefined;
  /** Runs `work`, recording its failure; resolves either way. */
  run(work: () => Promise<unknown>): Promise<void>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  async function run(work: () => Promise<unknown>): Promise<void> {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : new ApiError(0, 'error', String(failure)));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, run };
}
