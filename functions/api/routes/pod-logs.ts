/** A page of one pod's log as the API answers it (`GET /api/{kind}/{id}/logs`), for jobs and services alike. */
import * as z from 'zod';
import type { RouteContext } from '../api-types.ts';

/** `?pod_name=&next_key=` of every logs route. */
export const logsQuery = z.lazy(() => z.object({ pod_name: z.string().optional(), next_key: z.string().optional() }));

const LOG_PAGE_LINES = 1000;

export async function podLogPage(context: RouteContext, pod: string | undefined, cursor: string | undefined) {
  if (!pod || !context.services.taskLogs) return { logs: [], next_key: null };
  const page = await context.services.taskLogs.logs(pod, { cursor: cursor ?? null, limit: LOG_PAGE_LINES });
  return { logs: page.lines.map((l) => ({ timestamp: l.timestamp, message: l.message, pod_name: pod, stream: l.stream })), next_key: page.next };
}
