/**
 * Live data for a view: loads now and again every `everyMs` while the view is shown and the
 * tab is visible, keeping the last good value when a refresh fails.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api-client.ts';

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
}

export function usePoll<T>(load: () => Promise<T>, everyMs: number, keys: unknown[] = []): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const loader = useRef(load);
  loader.current = load;
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    loader
      .current()
      .then((value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
      })
      .catch((failure: unknown) => {
        if (mine !== generation.current) return;
        setError(failure instanceof ApiError ? failure : new ApiError(0, 'error', String(failure)));
      })
      .finally(() => mine === generation.current && setLoading(false));
  }, []);

  useEffect(() => {
    setData(undefined);
    setLoading(true);
    reload();
    if (everyMs <= 0) return;
    const timer = setInterval(() => document.visibilityState === 'visible' && reload(), everyMs);
    return () => clearInterval(timer);
  }, keys);

  return { data, error, loading, reload };
}
