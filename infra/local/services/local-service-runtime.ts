/**
 * The serving port on one machine: what ECS services, the ALB's target groups and EFS do for
 * deployments and workspaces, done with the process driver and the local proxy's route table.
 *
 * A thin shell around `supervise`, the pure core that decides: it feeds the core what happens
 * (plans applied, replicas launched, probed over HTTP, exited) and performs what it decides
 * (launch, stop, publish, report). Nothing here survives a restart: the driver's `recover()`
 * ends what a crashed control plane left running, and the control plane applies its plans
 * again; replica ids a predecessor used are skipped.
 */
import type { Clock } from '../../../shared/ports/platform-clock.ts';
import type { ServicePlan, ServiceReports, ServiceRuntime } from '../../../shared/ports/service-runtime.ts';
import { LaunchRefusedError, type TaskSpec } from '../../../shared/ports/task-driver.ts';
import type { LocalProcessDriver } from '../process-driver/local-process-driver.ts';
import type { RouteTable } from '../proxy/route-table.ts';
import { probeHealth } from './health-probe.ts';
import { randomBytes } from 'node:crypto';
import { exposedListeners } from './exposed-listeners.ts';
import { homeVolumeOf, IDE_TOKEN_VARIABLE, takesIdeToken } from '../../../shared/domain/planner/service-plan.ts';
import { probeTargets, supervise, type Action, type Observation, type Report, type SupervisedService, type SupervisionSettings } from './service-supervision.ts';

export interface LocalServiceRuntimeOptions {
  /** How often each starting or ready replica is probed. */
  probeIntervalMs?: number;
  /** Failed probes in a row after which a ready replica is replaced. */
  unhealthyThreshold?: number;
  /** Failures in a row of a revision that never became ready, after which it is given up. */
  crashLoopLimit?: number;
  /** The first wait before replacing a failed replica; it doubles with each failure in a row. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Overrides every plan's `healthGraceSeconds`. */
  healthGraceMs?: number;
  /** How often services are checked for idleness. */
  idleCheckIntervalMs?: number;
  /** Multiplies every plan's `idleShutoffSeconds` (a tiny value for tests). */
  idleScale?: number;
  /**
   * How long a replica that took traffic has, once out of the ready set, to finish requests in
   * flight before it is stopped (the ALB's deregistration delay).
   */
  drainMs?: number;
  /**
   * How often the platform decides again whether each active service's owner may still use
   * what it attaches (infra/local/periodic-access-recheck.ts), as the reconciler does each
   * minute on AWS.
   */
  accessRecheckIntervalMs?: number;
}

export const DEFAULT_SERVICE_OPTIONS: Required<Omit<LocalServiceRuntimeOptions, 'healthGraceMs'>> = {
  probeIntervalMs: 1_000,
  unhealthyThreshold: 3,
  crashLoopLimit: 5,
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
  idleCheckIntervalMs: 30_000,
  idleScale: 1,
  drainMs: 1_000,
  accessRecheckIntervalMs: 60_000,
};

/** What the runtime needs of the process driver. */
export type ReplicaDriver = Pick<LocalProcessDriver, 'launch' | 'stop' | 'onExit' | 'hasLaunched' | 'removeVolume'>;

export interface LocalServiceRuntimeDependencies {
  driver: ReplicaDriver;
  routes: RouteTable;
  reports: ServiceReports;
  clock: Clock;
  options?: LocalServiceRuntimeOptions;
}

interface Supervised {
  resourceId: string;
  state: SupervisedService | undefined;
  /** Reports of one service go out one after another, in the order they were decided. */
  reports: Promise<void>;
  wake: NodeJS.Timeout | undefined;
}

const SERVICE_REMOVED = 'the resource was removed';
const MAX_PROBE_TIMEOUT_MS = 5_000;
const EXPOSURE_CHECK_MS = 5_000;

export class LocalServiceRuntime implements ServiceRuntime {
  readonly #driver: ReplicaDriver;
  readonly #routes: RouteTable;
  readonly #reports: ServiceReports;
  readonly #clock: Clock;
  readonly #settings: SupervisionSettings;
  readonly #probeTimeoutMs: number;
  readonly #drainMs: number;
  readonly #services = new Map<string, Supervised>();
  /** Pods found listening beyond loopback and reported: once each. */
  readonly #exposed = new Set<string>();
  /** When each live pod's sockets were last looked at: the socket tables are read at most every few seconds. */
  readonly #exposureCheckedAt = new Map<string, number>();
  /** Pods with a probe in flight: a slow replica gets one probe at a time. */
  readonly #probing = new Set<string>();
  readonly #drains = new Set<NodeJS.Timeout>();
  /**
   * Pod → the IDE token its command reads (IDE_TOKEN_VARIABLE), which the proxy sends: the
   * host's loopback is shared by every process of the machine. Kept in memory only.
   */
  readonly #ideTokens = new Map<string, string>();
  readonly #probeTimer: NodeJS.Timeout;
  readonly #idleTimer: NodeJS.Timeout;
  #closed = false;

  constructor({ driver, routes, reports, clock, options = {} }: LocalServiceRuntimeDependencies) {
    const merged = { ...DEFAULT_SERVICE_OPTIONS, ...withoutUndefined(options) };
    this.#driver = driver;
    this.#routes = routes;
    this.#reports = reports;
    this.#clock = clock;
    this.#settings = {
      unhealthyThreshold: merged.unhealthyThreshold,
      crashLoopLimit: merged.crashLoopLimit,
      backoffBaseMs: merged.backoffBaseMs,
      backoffMaxMs: merged.backoffMaxMs,
      healthGraceMs: options.healthGraceMs,
      idleScale: merged.idleScale,
    };
    this.#probeTimeoutMs = Math.min(MAX_PROBE_TIMEOUT_MS, Math.max(merged.probeIntervalMs, 1_000));
    this.#drainMs = merged.drainMs;
    driver.onExit((exit) => {
      this.#ideTokens.delete(exit.taskId);
      this.#exposed.delete(exit.taskId);
      this.#exposureCheckedAt.delete(exit.taskId);
      this.#observe(exit.group, { type: 'exited', pod: exit.taskId, exitCode: exit.exitCode, reason: exit.reason });
    });
    this.#probeTimer = setInterval(() => this.#probeAll(), merged.probeIntervalMs);
    this.#idleTimer = setInterval(() => this.#checkIdle(), merged.idleCheckIntervalMs);
  }

  async apply(plan: ServicePlan): Promise<void> {
    if (this.#closed) throw new Error('the service runtime is closed; it applies no more plans');
    this.#observe(plan.resourceId, { type: 'applied', plan });
  }

  /** Withdraws the routes, stops every replica and waits for their exits, then reports `stopped`. */
  async stop(resourceId: string, reason: string): Promise<void> {
    this.#routes.withdraw(resourceId);
    const service = this.#services.get(resourceId) ?? this.#supervised(resourceId);
    // Every replica, those already on their way out included: the stop waits for all of them.
    const pods = service.state?.replicas.map((replica) => replica.pod) ?? [];
    this.#observe(resourceId, { type: 'stopRequested', reason });
    await Promise.all(pods.map((pod) => this.#stopPod(resourceId, pod, reason)));
    await this.#report(service, { method: 'stopped', report: { resourceId, at: this.#clock.now().toISOString() } });
  }

  /** Stops the service, deletes its home volume and forgets it. */
  async remove(resourceId: string): Promise<void> {
    // A service this process never applied (removed after a restart) has its home named by the planner's rule.
    const volume = this.#services.get(resourceId)?.state?.plan.homeVolume ?? homeVolumeOf(resourceId);
    await this.stop(resourceId, SERVICE_REMOVED);
    await this.#driver.removeVolume(volume);
    const service = this.#services.get(resourceId);
    if (service !== undefined) clearTimeout(service.wake);
    this.#services.delete(resourceId);
  }

  /**
   * Stops probing, timers and reporting, and waits for reports already under way. The replicas
   * are left to the driver, whose own `close()` stops them.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#probeTimer);
    clearInterval(this.#idleTimer);
    for (const timer of this.#drains) clearTimeout(timer);
    this.#drains.clear();
    for (const service of this.#services.values()) clearTimeout(service.wake);
    await Promise.all([...this.#services.values()].map((service) => service.reports));
  }

  /** The spec with a fresh IDE token when its command reads one (the runtime's value wins over the spec's). */
  #withIdeToken(spec: TaskSpec): TaskSpec {
    if (!takesIdeToken(spec.command)) return spec;
    const token = randomBytes(32).toString('base64url');
    this.#ideTokens.set(spec.taskId, token);
    return { ...spec, environment: { ...spec.environment, [IDE_TOKEN_VARIABLE]: token } };
  }

  #observe(resourceId: string, observation: Observation): void {
    if (this.#closed) return;
    const known = this.#services.get(resourceId);
    if (known === undefined && observation.type !== 'applied') return;
    const service = known ?? this.#supervised(resourceId);
    this.#services.set(resourceId, service);
    const nowMs = this.#clock.now().getTime();
    const next = supervise(service.state, observation, { nowMs, settings: this.#settings, isTaken: (pod) => this.#driver.hasLaunched(pod) });
    service.state = next.state;
    clearTimeout(service.wake);
    service.wake = next.wakeAtMs === null ? undefined : setTimeout(() => this.#observe(resourceId, { type: 'tick' }), Math.max(0, next.wakeAtMs - nowMs));
    for (const action of next.actions) this.#perform(service, action);
  }

  #perform(service: Supervised, action: Action): void {
    const { resourceId } = service;
    switch (action.type) {
      case 'publish': {
        const { owner, routes, viewers } = action.plan;
        this.#routes.publish({ resourceId, owner, routes, viewers });
        return;
      }
      case 'setReady':
        this.#routes.setReady(
          resourceId,
          action.replicas.map((replica) => {
            const token = this.#ideTokens.get(replica.pod);
            return token === undefined ? replica : { ...replica, authorization: `token ${token}` };
          }),
        );
        return;
      case 'withdraw':
        this.#routes.withdraw(resourceId);
        return;
      case 'launch': {
        const pod = action.spec.taskId;
        this.#driver.launch(this.#withIdeToken(action.spec)).then(
          (launched) => this.#observe(resourceId, { type: 'launched', pod, ports: launched.ports }),
          (error: unknown) => this.#observe(resourceId, { type: 'launchFailed', pod, reason: errorMessage(error), refused: error instanceof LaunchRefusedError }),
        );
        return;
      }
      case 'stop':
        if (!action.drain || this.#drainMs <= 0) {
          void this.#stopPod(resourceId, action.pod, action.reason);
          return;
        }
        this.#afterDrain(() => void this.#stopPod(resourceId, action.pod, action.reason));
        return;
      case 'report':
        void this.#report(service, action.report);
        return;
    }
  }

  #afterDrain(stop: () => void): void {
    const timer = setTimeout(() => {
      this.#drains.delete(timer);
      stop();
    }, this.#drainMs);
    this.#drains.add(timer);
  }

  async #stopPod(resourceId: string, pod: string, reason: string): Promise<void> {
    try {
      await this.#driver.stop(pod, reason);
    } catch (error) {
      logError('stopping a replica failed', { resourceId, pod, error });
    }
  }

  /** Queues the report behind the service's earlier ones; a failing report is logged, never thrown. */
  #report(service: Supervised, { method, report }: Report): Promise<void> {
    const send = this.#reports[method] as (report: unknown) => Promise<void>;
    service.reports = service.reports
      .then(() => send.call(this.#reports, report))
      .catch((error: unknown) => logError(`reporting ${method} failed`, { resourceId: service.resourceId, report, error }));
    return service.reports;
  }

  #probeAll(): void {
    for (const service of this.#services.values()) {
      if (service.state === undefined) continue;
      for (const { pod, port, path } of probeTargets(service.state)) {
        if (this.#probing.has(pod)) continue;
        this.#probing.add(pod);
        void probeHealth(port, path, this.#probeTimeoutMs).then(({ healthy, detail }) => {
          this.#probing.delete(pod);
          if (healthy) this.#checkExposure(service, pod);
          this.#observe(service.resourceId, { type: 'probed', pod, healthy, detail });
        });
      }
    }
  }

  /**
   * Replicas are told to listen on 127.0.0.1 ($HOST), where only the proxy, with its access
   * rules, reaches them. One listening on any other address of its ports is reported, once.
   */
  #checkExposure(service: Supervised, pod: string): void {
    const replica = service.state?.replicas.find((candidate) => candidate.pod === pod);
    if (replica === undefined || this.#exposed.has(pod)) return;
    // At its first healthy probe (it listens by then), and every few seconds after: it may bind more later.
    const nowMs = this.#clock.now().getTime();
    if (nowMs - (this.#exposureCheckedAt.get(pod) ?? -Infinity) < EXPOSURE_CHECK_MS) return;
    this.#exposureCheckedAt.set(pod, nowMs);
    const addresses = exposedListeners(Object.values(replica.ports));
    if (addresses.length === 0) return;
    this.#exposed.add(pod);
    const report = { resourceId: service.resourceId, pod, revision: replica.revision, addresses, at: this.#clock.now().toISOString() };
    void this.#report(service, { method: 'replicaExposed', report });
  }

  #checkIdle(): void {
    for (const { resourceId } of [...this.#services.values()]) {
      const idleMs = this.#routes.idleMs(resourceId);
      if (idleMs !== undefined) this.#observe(resourceId, { type: 'idleFor', idleMs });
    }
  }

  #supervised(resourceId: string): Supervised {
    return { resourceId, state: undefined, reports: Promise.resolve(), wake: undefined };
  }
}

/** One JSON object a line on stderr, like the rest of the control plane's operational logs. */
function logError(message: string, fields: { resourceId: string; error: unknown } & Record<string, unknown>): void {
  const { error, ...rest } = fields;
  const line = { level: 'error', component: 'local-service-runtime', message, ...rest, error: errorMessage(error), time: new Date().toISOString() };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
