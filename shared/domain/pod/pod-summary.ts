/**
 * One pod as Saturn's client reads it for live logs (`GET /api/pod/namespace/{ns}/name/{pod}/runtimesummary`,
 * saturn_client/logs.py `format_logs`): the pod's status and labels, the `main` container with
 * its log text and end, and the preparation step (git checkouts, package installs) as the init
 * container `prepare` where the log shows one. A restart is a new pod in Cassini (listed in the
 * resource's history), so a container never has a `previous`.
 */
import { COMMAND_STARTED_PREFIX, type LogLine } from './task-log.ts';

/** What the platform knows of a pod, whichever runtime ran it. */
export interface PodFacts {
  name: string;
  resourceId: string;
  /** Saturn's words: `pending` (preparing or starting), `running`, `completed` (ended well), `failed`, `stopped`. */
  status: 'pending' | 'running' | 'completed' | 'failed' | 'stopped';
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  /** Extra labels, e.g. a job's run. */
  labels: Record<string, string>;
}

export interface ContainerSummary {
  name: string;
  /** Kubernetes' container states, which `format_logs` tests (`waiting` sends it to the init containers). */
  status: 'waiting' | 'running' | 'terminated';
  logs: string;
  started_at: string | null;
  finished_at: string | null;
  exit_code: number | null;
}

export interface PodSummary {
  name: string;
  status: PodFacts['status'];
  labels: Record<string, string>;
  container_summaries: ContainerSummary[];
  init_container_summaries: ContainerSummary[];
}

export const RESOURCE_ID_LABEL = 'saturncloud.io/resource-id';

function text(lines: readonly LogLine[]): string {
  return lines.map((line) => line.message).join('\n');
}

export function podSummary(pod: PodFacts, lines: readonly LogLine[]): PodSummary {
  const start = lines.findIndex((line) => line.stream === 'system' && line.message.startsWith(COMMAND_STARTED_PREFIX));
  const ended = pod.finishedAt !== null;
  const preparing = start < 0 && !ended;
  const preparation = start < 0 ? (ended ? [] : lines) : lines.slice(0, start);
  const main = start < 0 ? (ended ? lines : []) : lines.slice(start);
  const mainSummary: ContainerSummary = {
    name: 'main',
    status: ended ? 'terminated' : preparing ? 'waiting' : 'running',
    logs: text(main),
    started_at: preparing ? null : pod.startedAt,
    finished_at: pod.finishedAt,
    exit_code: ended ? pod.exitCode : null,
  };
  const init: ContainerSummary[] =
    preparation.length === 0
      ? []
      : [{ name: 'prepare', status: preparing ? 'running' : 'terminated', logs: text(preparation), started_at: pod.startedAt, finished_at: null, exit_code: preparing ? null : 0 }];
  return { name: pod.name, status: pod.status, labels: { ...pod.labels, [RESOURCE_ID_LABEL]: pod.resourceId }, container_summaries: [mainSummary], init_container_summaries: init };
}
