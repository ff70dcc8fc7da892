/**
 * `GET /api/pod/namespace/{namespace}/name/{pod}/runtimesummary`: one pod the caller may see,
 * live or ended, with its containers' logs, as `SaturnConnection.get_logs` reads it for live
 * logs (shared/domain/pod/pod-summary.ts). The namespace is Saturn's (its client sends
 * `main-namespace`); Cassini has one and ignores it.
 */
import * as z from 'zod';
import type { RouteContext, RouteDefinition } from '../api-types.ts';
import { findVisiblePod } from '../../../shared/app/pod-lookup.ts';
import { podSummary } from '../../../shared/domain/pod/pod-summary.ts';
import type { LogLine } from '../../../shared/ports/task-driver.ts';

const PAGE_LINES = 1000;
/** The most lines a summary carries: the newest, as `kubectl logs --tail` would give. */
const TAIL_LINES = 5000;

const containerSummary = z.lazy(() =>
  z.object({
    name: z.string(),
    status: z.enum(['waiting', 'running', 'terminated']),
    logs: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    exit_code: z.number().int().nullable(),
  }),
);

const podSummaryResponse = z.lazy(() =>
  z.object({
    name: z.string(),
    status: z.enum(['pending', 'running', 'completed', 'failed', 'stopped']),
    labels: z.record(z.string(), z.string()).describe('saturncloud.io/resource-id names the resource'),
    container_summaries: z.array(containerSummary).describe('main: the command'),
    init_container_summaries: z.array(containerSummary).describe('prepare: git checkouts and package installs, where the log shows them'),
  }),
);

async function tailOfLog(context: RouteContext, pod: string): Promise<LogLine[]> {
  const logs = context.services.taskLogs;
  if (!logs) return [];
  let lines: LogLine[] = [];
  let cursor: string | null = null;
  do {
    const page = await logs.logs(pod, { cursor, limit: PAGE_LINES });
    lines = [...lines, ...page.lines].slice(-TAIL_LINES);
    cursor = page.lines.length > 0 ? page.next : null;
  } while (cursor !== null);
  return lines;
}

export const podSummaryRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/pod/namespace/{namespace}/name/{pod}/runtimesummary',
    summary: "One pod the caller may see, live or ended: its status, labels and containers' logs (Saturn's live logs).",
    access: 'user',
    response: { status: 200, schema: podSummaryResponse, description: '{name, status, labels, container_summaries, init_container_summaries}' },
    handle: async (context) => {
      const pod = await findVisiblePod(context.user, context.params.pod!, context.services);
      return { status: 200, body: podSummary(pod, await tailOfLog(context, pod.name)) };
    },
  },
];
