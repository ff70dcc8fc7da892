/**
 * A page of one pod's log as the API answers it (`GET /api/{kind}/{id}/logs`), for jobs and
 * services alike. Saturn's shape by default: `logs` is the text, each line as the task wrote it,
 * joined by newlines — `SaturnConnection.get_logs` prints it whole under a "Historical" header,
 * as Kubernetes logs come (no timestamps; the client asks for none). `?format=lines` (*extension*)
 * gives each line with its timestamp, pod and stream instead.
 */
import * as z from 'zod';
import type { RouteContext } from '../api-types.ts';

/** `?pod_name=&next_key=&format=` of every logs route. */
export const logsQuery = z.lazy(() =>
  z.object({
    pod_name: z.string().optional(),
    next_key: z.string().optional(),
    format: z.enum(['text', 'lines']).optional().describe('text (default, Saturn\'s): the log as one string; lines (extension): [{timestamp, message, pod_name, stream}]'),
  }),
);

export type LogsFormat = 'text' | 'lines';

const LOG_PAGE_LINES = 1000;

export async function podLogPage(context: RouteContext, pod: string | undefined, cursor: string | undefined, format: LogsFormat = 'text') {
  const page = pod && context.services.taskLogs ? await context.services.taskLogs.logs(pod, { cursor: cursor ?? null, limit: LOG_PAGE_LINES }) : { lines: [], next: null };
  if (format === 'text') return { logs: page.lines.map((l) => l.message).join('\n'), next_key: page.next };
  return { logs: page.lines.map((l) => ({ timestamp: l.timestamp, message: l.message, pod_name: pod, stream: l.stream })), next_key: page.next };
}
