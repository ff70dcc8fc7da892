/**
 * Whether `dask` can run here: asked of the same shell and PATH the tasks get, so the answer
 * is the one a task would meet.
 */
import { execFile } from 'node:child_process';

export const DASK_MISSING_REASON = "dask is not installed on this machine: pip install 'dask[distributed]' and restart";

/** The path of `dask` on `path` (default the control plane's PATH, which tasks inherit), or null. */
export function findDask(path: string | undefined = process.env.PATH, shell = '/bin/sh'): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(shell, ['-c', 'command -v dask'], { env: { PATH: path ?? '' }, timeout: 5_000 }, (error, stdout) => {
      const found = stdout.trim();
      resolve(error || found === '' ? null : found);
    });
  });
}
