/**
 * The serving side of deployments and workspaces: which revision is wanted, which one serves,
 * and the replicas (pods) the runtime reported. The runtime (ECS services, or the local
 * supervisor) replaces crashed replicas and rolls revisions out; this records what it says,
 * so `history` and `runtimesummary` are read from the resource's own events.
 *
 * Reports are facts from an at-least-once channel: a repeated or late one decides nothing,
 * and one about an older revision never changes the status the current revision has.
 */
import { eventsOf, type CommandMeta } from '../decider.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';

export type PodStatus = 'starting' | 'running' | 'stopped' | 'failed';

export interface Pod {
  name: string;
  revision: number;
  status: PodStatus;
  startedAt: string;
  endedAt: string | null;
  lastSeen: string;
  exitCode: number | null;
  reason: string | null;
  /** Where it was found listening besides loopback, once reported (locally): reachable without the proxy. */
  exposedOn?: string[];
}

export interface ServiceState {
  /** The revision asked for: it grows with each start, restart and spec change while active. */
  revision: number;
  /** The revision whose replicas serve, once one has rolled out. */
  servingRevision: number | null;
  /** The revision the runtime rolled back, so a repeated report decides nothing. */
  rolledBackRevision: number | null;
  /** Newest first: every live pod, and the most recent ended ones. */
  pods: Pod[];
}

export const NO_SERVICE: ServiceState = { revision: 0, servingRevision: null, rolledBackRevision: null, pods: [] };

/** Ended pods kept for `history`; live ones are always kept. */
export const ENDED_PODS_KEPT = 50;

export type ReplicaCommand =
  | (CommandMeta & { kind: 'ReportReplicaStarted' | 'ReportReplicaReady'; id: string; pod: string; revision: number })
  | (CommandMeta & { kind: 'ReportReplicaExited'; id: string; pod: string; revision: number; exitCode: number | null; reason: string; stoppedByPlatform?: boolean })
  | (CommandMeta & { kind: 'ReportReplicaExposed'; id: string; pod: string; revision: number; addresses: string[] });

const event = eventsOf<ResourceEvent>();

export function decideReplica(command: ReplicaCommand, service: ServiceState): ResourceEvent[] {
  const known = service.pods.find((p) => p.name === command.pod);
  const ended = known?.endedAt !== null && known !== undefined;
  const { pod, revision } = command;
  switch (command.kind) {
    case 'ReportReplicaStarted':
      return known ? [] : [event('ReplicaStarted', { pod, revision }, command)];
    case 'ReportReplicaReady':
      if (ended || known?.status === 'running') return [];
      return [event('ReplicaReady', { pod, revision }, command)];
    case 'ReportReplicaExposed':
      if (!known || ended || known.exposedOn !== undefined || command.addresses.length === 0) return [];
      return [event('ReplicaExposed', { pod, revision, addresses: command.addresses }, command)];
    case 'ReportReplicaExited':
      if (ended) return [];
      return [
        event(
          'ReplicaExited',
          { pod, revision, exit_code: command.exitCode, reason: command.reason, ...(command.stoppedByPlatform ? { stopped_by_platform: true } : {}) },
          command,
        ),
      ];
  }
}

type ReplicaEvent = Extract<ResourceEvent, { type: 'ReplicaStarted' | 'ReplicaReady' | 'ReplicaExposed' | 'ReplicaExited' }>;

export function evolveReplicas(service: ServiceState, e: ReplicaEvent): ServiceState {
  const existing = service.pods.find((p) => p.name === e.data.pod);
  const base: Pod = existing ?? {
    name: e.data.pod,
    revision: e.data.revision,
    status: 'starting',
    startedAt: e.at,
    endedAt: null,
    lastSeen: e.at,
    exitCode: null,
    reason: null,
  };
  let pod: Pod;
  if (e.type === 'ReplicaStarted') pod = base;
  else if (e.type === 'ReplicaReady') pod = { ...base, status: 'running', lastSeen: e.at };
  else if (e.type === 'ReplicaExposed') pod = { ...base, exposedOn: e.data.addresses };
  else {
    const status: PodStatus = e.data.stopped_by_platform === true || e.data.exit_code === 0 ? 'stopped' : 'failed';
    pod = { ...base, status, endedAt: e.at, lastSeen: e.at, exitCode: e.data.exit_code, reason: e.data.reason };
  }
  const others = service.pods.filter((p) => p.name !== pod.name);
  return { ...service, pods: bounded(existing ? service.pods.map((p) => (p.name === pod.name ? pod : p)) : [pod, ...others]) };
}

/** Every live pod and the newest ended ones, newest first. */
function bounded(pods: Pod[]): Pod[] {
  let ended = 0;
  return pods.filter((p) => p.endedAt === null || ++ended <= ENDED_PODS_KEPT);
}

/** Pods of a service that has been stopped: whatever the runtime did not report is over. */
export function endLivePods(service: ServiceState, at: string, reason: string): ServiceState {
  return {
    ...service,
    pods: service.pods.map((p) => (p.endedAt === null ? { ...p, status: 'stopped', endedAt: at, lastSeen: at, reason } : p)),
  };
}
