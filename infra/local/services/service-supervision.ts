/**
 * What an ECS service scheduler decides, as a pure function: given what is known of one
 * service (the revision it serves, the one it rolls out, its replicas) and one new fact (a
 * plan applied, a replica launched, probed or exited, time passing), the next state and the
 * actions that follow: launch or stop a replica, change the ready set, report to the control
 * plane. No I/O, no clock, no timers: `LocalServiceRuntime` performs the actions and feeds
 * back what happens.
 *
 * The rules, as on ECS with the deployment circuit breaker:
 * - A replica is ready at its first healthy probe; one that is not ready within the health
 *   grace, or exits before, failed. A revision that fails `crashLoopLimit` times in a row
 *   without any replica ever ready is given up: a rollout is rolled back (the serving
 *   revision keeps serving), a first start fails (nothing serves).
 * - A rollout launches the new revision beside the serving one; once all its replicas are
 *   ready, the old ones leave the ready set and are stopped.
 * - A ready replica that exits or fails `unhealthyThreshold` probes in a row is replaced,
 *   after an exponential backoff; the others keep serving meanwhile.
 */
import type { ServicePlan, ServiceReports } from '../../../shared/ports/service-runtime.ts';
import type { TaskSpec } from '../../../shared/ports/task-driver.ts';
import type { ReadyReplica } from '../proxy/route-table.ts';
import { giveUpReason, seconds, type ReplicaFailure } from './failure-reason.ts';

/** The container port that is $PORT: where health checks go. */
export const MAIN_CONTAINER_PORT = 8000;

export interface SupervisionSettings {
  /** Failed probes in a row after which a ready replica is replaced. */
  unhealthyThreshold: number;
  /** Failures in a row, with no replica ever ready, after which a revision is given up. */
  crashLoopLimit: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Overrides every plan's `healthGraceSeconds` (tests). */
  healthGraceMs: number | undefined;
  /** Multiplies every plan's `idleShutoffSeconds` (tests). */
  idleScale: number;
}

/**
 * launching: asked of the driver; starting: runs, not healthy yet; ready: healthy, takes
 * traffic; stopping: asked to stop, its exit is still to come.
 */
export type ReplicaPhase = 'launching' | 'starting' | 'ready' | 'stopping';

export interface Replica {
  pod: string;
  revision: number;
  phase: ReplicaPhase;
  launchedAtMs: number;
  /** Container port → host port; empty until launched. */
  ports: Record<number, number>;
  failedProbes: number;
  /** What the last probe found, e.g. `HTTP 503` or `connection refused`. */
  lastProbe: string | null;
}

/** A revision the service serves or rolls out, with what it takes to launch more of it. */
export interface Revision {
  plan: ServicePlan;
  /** The `n` of its next replica: never reused, so each replica's id is new. */
  nextReplica: number;
  /** Failures in a row since one of its replicas was last ready. */
  failures: number;
  everReady: boolean;
  /** No replica of it is launched before this (the backoff after a failure). */
  launchNotBeforeMs: number;
  lastFailure: ReplicaFailure | null;
}

export interface SupervisedService {
  resourceId: string;
  /** running; failed: a first start was given up; stopped: asked to stop. Replicas may still be on their way out. */
  status: 'running' | 'failed' | 'stopped';
  /** The highest revision applied: a plan at or below it changes nothing. */
  latestRevision: number;
  plan: ServicePlan;
  /** The revision that last rolled out, which serves while another rolls out. */
  serving: Revision | null;
  /** The revision being rolled out, or started for the first time; null once it rolled out. */
  rollout: Revision | null;
  replicas: Replica[];
  idleReported: boolean;
  /**
   * A given-up revision's failure, held until its last replica has exited: a resource in
   * `error` has nothing running, as one that is `stopped` has not.
   */
  heldFailure: FailureReport | null;
}

type FailureReport = Extract<Report, { method: 'failed' }>;

export type Observation =
  | { type: 'applied'; plan: ServicePlan }
  | { type: 'launched'; pod: string; ports: Record<number, number> }
  | { type: 'launchFailed'; pod: string; reason: string; refused?: boolean }
  | { type: 'probed'; pod: string; healthy: boolean; detail: string }
  | { type: 'exited'; pod: string; exitCode: number | null; reason: string }
  | { type: 'stopRequested'; reason: string }
  | { type: 'idleFor'; idleMs: number }
  /** Time passed: a health grace or a backoff may be over. */
  | { type: 'tick' };

/** One call of `ServiceReports`: the method and its argument. */
export type Report = { [M in keyof ServiceReports]: { method: M; report: Parameters<ServiceReports[M]>[0] } }[keyof ServiceReports];

export type Action =
  | { type: 'publish'; plan: ServicePlan }
  | { type: 'setReady'; replicas: ReadyReplica[] }
  | { type: 'withdraw' }
  | { type: 'launch'; spec: TaskSpec }
  /** `drain`: the replica took traffic until now; give requests in flight a moment before stopping it. */
  | { type: 'stop'; pod: string; reason: string; drain: boolean }
  | { type: 'report'; report: Report };

export interface SupervisionContext {
  nowMs: number;
  settings: SupervisionSettings;
  /** Whether a task id was already used, e.g. by a control plane before a restart: it is skipped. */
  isTaken?: (pod: string) => boolean;
}

export interface Supervision {
  state: SupervisedService | undefined;
  actions: Action[];
  /** When to observe a `tick` next (a grace or backoff ends); null when nothing waits on time. */
  wakeAtMs: number | null;
}

/** Where to probe each replica that runs and is not on its way out. */
export interface ProbeTarget {
  pod: string;
  port: number;
  path: string;
}

/** The next state of one service, and what to do about it. */
export function supervise(previous: SupervisedService | undefined, observation: Observation, context: SupervisionContext): Supervision {
  if (previous === undefined && observation.type !== 'applied') return { state: previous, actions: [], wakeAtMs: null };
  const draft = new Draft(previous === undefined ? undefined : structuredClone(previous), context);
  draft.observe(observation);
  return draft.result(previous);
}

export function probeTargets(state: SupervisedService): ProbeTarget[] {
  if (state.status !== 'running') return [];
  return state.replicas.flatMap((replica) => {
    const port = replica.ports[MAIN_CONTAINER_PORT];
    if ((replica.phase !== 'starting' && replica.phase !== 'ready') || port === undefined) return [];
    return [{ pod: replica.pod, port, path: healthPath(planOf(state, replica)) }];
  });
}

/** The wait before replacing a replica after `failures` failures in a row: base, 2×base, 4×base, … up to max. */
export function backoffMs(failures: number, settings: Pick<SupervisionSettings, 'backoffBaseMs' | 'backoffMaxMs'>): number {
  return Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

export function replicaId(resourceId: string, revision: number, n: number): string {
  return `${resourceId}-r${revision}-${n}`;
}

class Draft {
  readonly #actions: Action[] = [];
  #publish: ServicePlan | undefined;

  constructor(
    public state: SupervisedService | undefined,
    private readonly context: SupervisionContext,
  ) {}

  get #now(): number {
    return this.context.nowMs;
  }

  get #at(): string {
    return new Date(this.context.nowMs).toISOString();
  }

  observe(observation: Observation): void {
    if (observation.type === 'applied') return this.#applied(observation.plan);
    const state = this.state;
    if (state === undefined) return;
    switch (observation.type) {
      case 'launched':
        return this.#launched(state, observation.pod, observation.ports);
      case 'launchFailed':
        return this.#launchFailed(state, observation.pod, observation.reason, observation.refused === true);
      case 'probed':
        return this.#probed(state, observation.pod, observation.healthy, observation.detail);
      case 'exited':
        return this.#exited(state, observation.pod, observation.exitCode, observation.reason);
      case 'stopRequested':
        return this.#stopRequested(state, observation.reason);
      case 'idleFor':
        return this.#idleFor(state, observation.idleMs);
      case 'tick':
        return this.#tick(state);
    }
  }

  result(previous: SupervisedService | undefined): Supervision {
    const state = this.state;
    if (state === undefined) return { state, actions: [], wakeAtMs: null };
    const ready = readyReplicas(state);
    const readyChanged = !samePods(previous === undefined ? [] : readyReplicas(previous), ready);
    // Publishing first: `setReady` is a no-op for a service whose routes are not published. A
    // service that stopped or failed has had its routes withdrawn instead.
    const actions: Action[] = [
      ...(this.#publish === undefined ? [] : [{ type: 'publish' as const, plan: this.#publish }]),
      ...(readyChanged && state.status === 'running' ? [{ type: 'setReady' as const, replicas: ready }] : []),
      ...this.#actions,
    ];
    return { state, actions, wakeAtMs: this.#wakeAt(state) };
  }

  #applied(plan: ServicePlan): void {
    const known = this.state;
    if (known !== undefined && plan.revision <= known.latestRevision) return;
    const revision = this.#newRevision(plan);
    if (known === undefined) {
      this.state = { resourceId: plan.resourceId, status: 'running', latestRevision: plan.revision, plan, serving: null, rollout: revision, replicas: [], idleReported: false, heldFailure: null };
    } else {
      this.#releaseFailure(known);
      if (known.rollout !== null) this.#retire(known, known.rollout.plan.revision, `replaced by revision ${plan.revision} before it was ready`);
      // After a stop or a failure nothing serves: the new revision starts afresh.
      if (known.status !== 'running') known.serving = null;
      known.status = 'running';
      known.latestRevision = plan.revision;
      known.plan = plan;
      known.rollout = revision;
      known.idleReported = false;
    }
    this.#publish = plan;
    const state = this.state!;
    this.#completeRollout(state);
    this.#fill(state);
  }

  #launched(state: SupervisedService, pod: string, ports: Record<number, number>): void {
    const replica = findReplica(state, pod);
    if (replica === undefined) return;
    replica.ports = ports;
    this.#report({ method: 'replicaStarted', report: this.#replicaReport(state, replica) });
    if (replica.phase === 'launching') replica.phase = 'starting';
  }

  #launchFailed(state: SupervisedService, pod: string, reason: string, refused: boolean): void {
    const replica = this.#forget(state, pod);
    this.#releaseFailureOnceNothingRuns(state);
    if (replica === undefined || replica.phase === 'stopping' || state.status !== 'running') return;
    this.#failed(state, replica, { kind: 'not-launched', pod, reason, ...(refused ? { refused } : {}) });
    this.#fill(state);
  }

  #probed(state: SupervisedService, pod: string, healthy: boolean, detail: string): void {
    const replica = findReplica(state, pod);
    if (replica === undefined || state.status !== 'running' || (replica.phase !== 'starting' && replica.phase !== 'ready')) return;
    replica.lastProbe = detail;
    if (replica.phase === 'starting') {
      if (healthy) this.#ready(state, replica);
      return;
    }
    if (healthy) {
      replica.failedProbes = 0;
      return;
    }
    replica.failedProbes += 1;
    if (replica.failedProbes < this.context.settings.unhealthyThreshold) return;
    const path = healthPath(planOf(state, replica));
    this.#stopReplica(replica, `failed ${replica.failedProbes} health checks in a row on ${path} (last: ${detail}); it is replaced`, false);
    this.#failed(state, replica, { kind: 'unhealthy', pod, lastProbe: detail });
    this.#fill(state);
  }

  #exited(state: SupervisedService, pod: string, exitCode: number | null, reason: string): void {
    const replica = this.#forget(state, pod);
    if (replica === undefined) return;
    const stoppedByPlatform = replica.phase === 'stopping' || state.status !== 'running';
    this.#report({ method: 'replicaExited', report: { ...this.#replicaReport(state, replica), exitCode, reason, stoppedByPlatform } });
    this.#releaseFailureOnceNothingRuns(state);
    if (stoppedByPlatform) return;
    this.#failed(state, replica, { kind: 'exited', pod, reason });
    this.#fill(state);
  }

  #stopRequested(state: SupervisedService, reason: string): void {
    this.#releaseFailure(state);
    state.status = 'stopped';
    state.serving = null;
    state.rollout = null;
    this.#actions.push({ type: 'withdraw' });
    for (const replica of liveReplicas(state)) this.#stopReplica(replica, reason, false);
  }

  #idleFor(state: SupervisedService, idleMs: number): void {
    const { idleShutoffSeconds } = state.plan;
    // Only a service that serves can be idle: one still starting (installing packages, say) is not.
    if (state.status !== 'running' || state.serving === null || state.idleReported || idleShutoffSeconds === null) return;
    if (idleMs < idleShutoffSeconds * 1_000 * this.context.settings.idleScale) return;
    state.idleReported = true;
    this.#report({ method: 'idle', report: { resourceId: state.resourceId, idleSeconds: Math.floor(idleMs / 1_000), at: this.#at } });
  }

  #tick(state: SupervisedService): void {
    if (state.status !== 'running') return;
    for (const replica of [...state.replicas]) {
      if ((replica.phase !== 'launching' && replica.phase !== 'starting') || this.#now < replica.launchedAtMs + this.#graceMs(state, replica)) continue;
      const path = healthPath(planOf(state, replica));
      this.#stopReplica(replica, `did not pass its health check on ${path} within ${seconds(this.#graceMs(state, replica))}`, false);
      this.#failed(state, replica, { kind: 'unanswered', pod: replica.pod, lastProbe: replica.lastProbe });
      if (state.status !== 'running') return;
    }
    this.#fill(state);
  }

  #ready(state: SupervisedService, replica: Replica): void {
    replica.phase = 'ready';
    replica.failedProbes = 0;
    const revision = revisionOf(state, replica.revision);
    if (revision !== undefined) {
      revision.everReady = true;
      revision.failures = 0;
      revision.launchNotBeforeMs = this.#now;
    }
    this.#report({ method: 'replicaReady', report: this.#replicaReport(state, replica) });
    this.#completeRollout(state);
  }

  /** Once every replica of the rollout is ready, it serves alone: the others leave the ready set and stop. */
  #completeRollout(state: SupervisedService): void {
    const rollout = state.rollout;
    if (rollout === null) return;
    const { revision, replicas } = rollout.plan;
    if (state.replicas.filter((replica) => replica.revision === revision && replica.phase === 'ready').length < replicas) return;
    for (const replica of liveReplicas(state)) {
      if (replica.revision !== revision) this.#stopReplica(replica, `replaced by revision ${revision}`, replica.phase === 'ready');
    }
    state.serving = rollout;
    state.rollout = null;
    this.#report({ method: 'rolledOut', report: { resourceId: state.resourceId, revision, at: this.#at } });
  }

  /** Counts a failure against the replica's revision: a backoff before the next launch, and maybe the end of it. */
  #failed(state: SupervisedService, replica: Replica, failure: ReplicaFailure): void {
    const revision = revisionOf(state, replica.revision);
    if (revision === undefined) return;
    revision.failures += 1;
    revision.lastFailure = failure;
    revision.launchNotBeforeMs = this.#now + backoffMs(revision.failures, this.context.settings);
    // A replica that ran for the whole grace without answering would do so again: waiting out
    // the grace `crashLoopLimit` times over (an hour for a workspace) would help nobody.
    const hopeless = failure.kind === 'unanswered' || revision.failures >= this.context.settings.crashLoopLimit;
    // A refused launch is refused again for any replica of any revision: even one that served gives up.
    const refused = failure.kind === 'not-launched' && failure.refused === true;
    if (refused || (!revision.everReady && hopeless)) this.#giveUp(state, revision, failure);
  }

  #giveUp(state: SupervisedService, revision: Revision, failure: ReplicaFailure): void {
    const { plan } = revision;
    const reason = giveUpReason({ failure, failures: revision.failures, healthCheckPath: healthPath(plan), graceMs: this.#planGraceMs(plan) });
    const at = this.#at;
    if (revision === state.rollout && state.serving !== null) {
      this.#retire(state, plan.revision, `revision ${plan.revision} never became healthy; revision ${state.serving.plan.revision} keeps serving`);
      state.rollout = null;
      this.#report({ method: 'rolledBack', report: { resourceId: state.resourceId, revision: plan.revision, reason, at } });
      return;
    }
    state.status = 'failed';
    state.serving = null;
    state.rollout = null;
    this.#actions.push({ type: 'withdraw' });
    for (const replica of liveReplicas(state)) this.#stopReplica(replica, `revision ${plan.revision} failed: ${reason}`, false);
    state.heldFailure = { method: 'failed', report: { resourceId: state.resourceId, revision: plan.revision, reason, at } };
    this.#releaseFailureOnceNothingRuns(state);
  }

  #releaseFailureOnceNothingRuns(state: SupervisedService): void {
    if (state.replicas.length === 0) this.#releaseFailure(state);
  }

  /** Reports a held failure now: at the last exit, or before whatever comes next (a new start, a stop) so reports keep their order. */
  #releaseFailure(state: SupervisedService): void {
    if (state.heldFailure === null) return;
    this.#report(state.heldFailure);
    state.heldFailure = null;
  }

  /** Launches what each revision lacks, unless it is backing off. */
  #fill(state: SupervisedService): void {
    if (state.status !== 'running') return;
    for (const revision of [state.serving, state.rollout]) {
      if (revision === null || this.#now < revision.launchNotBeforeMs) continue;
      const missing = revision.plan.replicas - liveReplicas(state).filter((replica) => replica.revision === revision.plan.revision).length;
      for (let i = 0; i < missing; i++) this.#launch(state, revision);
    }
  }

  #launch(state: SupervisedService, revision: Revision): void {
    const { plan } = revision;
    let pod = replicaId(state.resourceId, plan.revision, revision.nextReplica++);
    while (this.context.isTaken?.(pod)) pod = replicaId(state.resourceId, plan.revision, revision.nextReplica++);
    state.replicas.push({ pod, revision: plan.revision, phase: 'launching', launchedAtMs: this.#now, ports: {}, failedProbes: 0, lastProbe: null });
    this.#actions.push({ type: 'launch', spec: replicaSpec(plan, pod) });
  }

  #retire(state: SupervisedService, revision: number, reason: string): void {
    for (const replica of liveReplicas(state)) if (replica.revision === revision) this.#stopReplica(replica, reason, replica.phase === 'ready');
  }

  #stopReplica(replica: Replica, reason: string, drain: boolean): void {
    replica.phase = 'stopping';
    this.#actions.push({ type: 'stop', pod: replica.pod, reason, drain });
  }

  #forget(state: SupervisedService, pod: string): Replica | undefined {
    const replica = findReplica(state, pod);
    if (replica !== undefined) state.replicas = state.replicas.filter((other) => other !== replica);
    return replica;
  }

  #report(report: Report): void {
    this.#actions.push({ type: 'report', report });
  }

  #replicaReport(state: SupervisedService, replica: Replica) {
    return { resourceId: state.resourceId, pod: replica.pod, revision: replica.revision, at: this.#at };
  }

  #newRevision(plan: ServicePlan): Revision {
    return { plan, nextReplica: 1, failures: 0, everReady: false, launchNotBeforeMs: this.#now, lastFailure: null };
  }

  #graceMs(state: SupervisedService, replica: Replica): number {
    return this.#planGraceMs(planOf(state, replica));
  }

  #planGraceMs(plan: ServicePlan): number {
    return this.context.settings.healthGraceMs ?? plan.healthGraceSeconds * 1_000;
  }

  #wakeAt(state: SupervisedService): number | null {
    if (state.status !== 'running') return null;
    const times: number[] = [];
    for (const replica of state.replicas) {
      if (replica.phase === 'launching' || replica.phase === 'starting') times.push(replica.launchedAtMs + this.#graceMs(state, replica));
    }
    for (const revision of [state.serving, state.rollout]) {
      if (revision === null) continue;
      const live = liveReplicas(state).filter((replica) => replica.revision === revision.plan.revision).length;
      // A replacement that is due (its backoff over, but seen by an observation that does not
      // launch, such as an idle check) wakes the service at once rather than never.
      if (live < revision.plan.replicas) times.push(Math.max(revision.launchNotBeforeMs, this.#now));
    }
    return times.length === 0 ? null : Math.min(...times);
  }
}

/** A replica's task: the plan's, named `<resource id>-r<revision>-<n>`, grouped by resource, on the plan's home volume. */
function replicaSpec(plan: ServicePlan, pod: string): TaskSpec {
  return {
    ...plan.task,
    taskId: pod,
    group: plan.resourceId,
    labels: { ...plan.task.labels, pod, revision: String(plan.revision) },
    ...(plan.homeVolume === null ? {} : { homeVolume: plan.homeVolume }),
  };
}

function readyReplicas(state: SupervisedService): ReadyReplica[] {
  return state.replicas.filter((replica) => replica.phase === 'ready').map(({ pod, ports }) => ({ pod, ports: { ...ports } }));
}

function samePods(a: ReadyReplica[], b: ReadyReplica[]): boolean {
  return a.length === b.length && a.every((replica, i) => replica.pod === b[i]?.pod);
}

function liveReplicas(state: SupervisedService): Replica[] {
  return state.replicas.filter((replica) => replica.phase !== 'stopping');
}

function findReplica(state: SupervisedService, pod: string): Replica | undefined {
  return state.replicas.find((replica) => replica.pod === pod);
}

function revisionOf(state: SupervisedService, revision: number): Revision | undefined {
  return [state.serving, state.rollout].find((candidate): candidate is Revision => candidate !== null && candidate.plan.revision === revision);
}

function planOf(state: SupervisedService, replica: Replica): ServicePlan {
  return revisionOf(state, replica.revision)?.plan ?? state.plan;
}

function healthPath(plan: ServicePlan): string {
  return plan.healthCheckPath.startsWith('/') ? plan.healthCheckPath : `/${plan.healthCheckPath}`;
}
