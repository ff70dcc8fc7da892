/**
 * The read model behind `GET /api/jobs/{id}/runs`: each job's runs, newest first, written from
 * run stream snapshots (never backwards, so redelivery and reordering do no harm).
 */
import type { Run } from '../domain/run/run-decider.ts';

export interface RunPageQuery {
  jobId: string;
  limit: number;
  cursor?: string;
}

export interface RunPage {
  runs: Run[];
  cursor: string | null;
}

export interface RunViews {
  put(run: Run, streamVersion: number): Promise<void>;
  list(query: RunPageQuery): Promise<RunPage>;
}
