import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  probeTargets,
  supervise,
  type Action,
  type Observation,
  type SupervisedService,
  type SupervisionSettings,
} from '../../../../infra/local/services/service-supervision.ts';
import type { ServicePlan } from '../../../../shared/ports/service-runtime.ts';

const SETTINGS: SupervisionSettings = {
  unhealthyThreshold: 3,
  crashLoopLimit: 3,
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
  healthGraceMs: undefined,
  idleScale: 1,
};

function plan(revision: number, more: Partial<ServicePlan> = {}): ServicePlan {
  return {
    resourceId: 'dep-1',
    type: 'deployment',
    owner: 'alice',
    name: 'api',
    revision,
    replicas: 2,
    task: { command: `serve v${revision}`, environment: {}, labels: { owner: 'alice' } },
    image: 'python:3.12',
    instanceType: 'medium',
    spot: false,
    healthCheckPath: '/health',
    healthGraceSeconds: 60,
    routes: [{ subdomain: 'api', containerPort: 8000, visibility: 'owner' }],
    viewers: [],
    homeVolume: null,
    shellAccess: false,
    idleShutoffSeconds: null,
    ...more,
  };
}

/** One service's supervision, fed observations one at a time as the runtime would. */
class Service {
  state: SupervisedService | undefined;
  nowMs = 1_000_000;
  wakeAtMs: number | null = null;
  taken = new Set<string>();

  constructor(private readonly settings: SupervisionSettings = SETTINGS) {}

  observe(observation: Observation): Action[] {
    const result = supervise(this.state, observation, { nowMs: this.nowMs, settings: this.settings, isTaken: (pod) => this.taken.has(pod) });
    this.state = result.state;
    this.wakeAtMs = result.wakeAtMs;
    return result.actions;
  }

  /** Launches, starts and passes the first probe of each pod. */
  ready(...pods: string[]): Action[] {
    return pods.flatMap((pod, i) => [
      ...this.observe({ type: 'launched', pod, ports: { 8000: 40_000 + this.nowMs % 1000 + i } }),
      ...this.observe({ type: 'probed', pod, healthy: true, detail: 'HTTP 200' }),
    ]);
  }

  at(ms: number): this {
    this.nowMs = ms;
    return this;
  }
}

const launches = (actions: Action[]) => actions.flatMap((action) => (action.type === 'launch' ? [action.spec.taskId] : []));
const stops = (actions: Action[]) => actions.flatMap((action) => (action.type === 'stop' ? [action.pod] : []));
const reports = (actions: Action[]) => actions.flatMap((action) => (action.type === 'report' ? [action.report] : []));
const readySets = (actions: Action[]) => actions.flatMap((action) => (action.type === 'setReady' ? [action.replicas.map((replica) => replica.pod)] : []));

describe('supervise', () => {
  describe('a launch the platform refused (issue 19: the owner lost access to an attachment)', () => {
    it('gives up at once, even on a revision that served: the error names the attachment, the routes go and the other replica stops', () => {
      // Prepare: a serving revision, then one replica exits
      const service = new Service();
      service.observe({ type: 'applied', plan: plan(1) });
      service.ready('dep-1-r1-1', 'dep-1-r1-2');
      service.observe({ type: 'exited', pod: 'dep-1-r1-1', exitCode: 137, reason: 'killed' });
      const [replacement] = launches(service.at(service.nowMs + SETTINGS.backoffMaxMs).observe({ type: 'tick' }));
      const refusal = 'alice may no longer use what the task attaches: secret bob/key: no secret named key owned by bob that alice may use';

      // Act: its replacement is refused
      expect(replacement).toBe('dep-1-r1-3');
      const actions = service.observe({ type: 'launchFailed', pod: replacement!, reason: refusal, refused: true });

      // Assess
      expect(actions.some((action) => action.type === 'withdraw')).toBe(true);
      expect(stops(actions)).toEqual(['dep-1-r1-2']);
      const lastExit = service.observe({ type: 'exited', pod: 'dep-1-r1-2', exitCode: null, reason: 'killed by SIGTERM' });
      const failed = reports(lastExit).find((report) => report.method === 'failed');
      expect(failed?.report).toMatchObject({ resourceId: 'dep-1', revision: 1, reason: expect.stringContaining(refusal) });
    });
  });

  describe('a first start', () => {
    it('publishes the routes and launches the replicas, named by resource, revision and a number never reused', () => {
      // Prepare
      const service = new Service();

      // Act
      const actions = service.observe({ type: 'applied', plan: plan(1, { homeVolume: 'home-alice' }) });

      // Assess
      expect(actions[0]).toEqual({ type: 'publish', plan: expect.objectContaining({ revision: 1 }) });
      expect(launches(actions)).toEqual(['dep-1-r1-1', 'dep-1-r1-2']);
      const launch = actions.find((action) => action.type === 'launch');
      expect(launch).toMatchObject({
        spec: { taskId: 'dep-1-r1-1', group: 'dep-1', command: 'serve v1', homeVolume: 'home-alice', labels: { owner: 'alice', pod: 'dep-1-r1-1', revision: '1' } },
      });
    });

    it('reports each replica started and ready, puts it in the ready set, and the revision rolled out once all are ready', () => {
      // Prepare
      const service = new Service();
      service.observe({ type: 'applied', plan: plan(1) });

      // Act
      const first = service.ready('dep-1-r1-1');
      const second = service.ready('dep-1-r1-2');

      // Assess
      expect(reports(first).map((report) => [report.method, 'pod' in report.report ? report.report.pod : undefined])).toEqual([
        ['replicaStarted', 'dep-1-r1-1'],
        ['replicaReady', 'dep-1-r1-1'],
      ]);
      expect(readySets(first)).toEqual([['dep-1-r1-1']]);
      expect(readySets(second)).toEqual([['dep-1-r1-1', 'dep-1-r1-2']]);
      expect(reports(second).at(-1)).toEqual({ method: 'rolledOut', report: { resourceId: 'dep-1', revision: 1, at: expect.any(String) } });
      expect(probeTargets(service.state!).map((target) => [target.pod, target.path])).toEqual([
        ['dep-1-r1-1', '/health'],
        ['dep-1-r1-2', '/health'],
      ]);
    });

    it('changes nothing when the same or a lower revision is applied again', () => {
      // Prepare
      const service = new Service();
      service.observe({ type: 'applied', plan: plan(2) });

      // Act & Assess
      expect(service.observe({ type: 'applied', plan: plan(2) })).toEqual([]);
      expect(service.observe({ type: 'applied', plan: plan(1) })).toEqual([]);
    });

    it('skips replica ids a control plane before it used', () => {
      const service = new Service();
      service.taken.add('dep-1-r1-1').add('dep-1-r1-2');
      expect(launches(service.observe({ type: 'applied', plan: plan(1) }))).toEqual(['dep-1-r1-3', 'dep-1-r1-4']);
    });

    it('replaces a replica that exits before it is ready after a backoff that doubles, and fails after the crash-loop limit', () => {
      // Prepare
      const service = new Service();
      service.observe({ type: 'applied', plan: plan(1, { replicas: 1 }) });
      service.observe({ type: 'launched', pod: 'dep-1-r1-1', ports: { 8000: 40_001 } });

      // Act
      const exit1 = service.observe({ type: 'exited', pod: 'dep-1-r1-1', exitCode: 1, reason: 'exited with code 1' });
      const wake1 = service.wakeAtMs;
      const tooEarly = service.at(1_000_500).observe({ type: 'tick' });
      const retry1 = service.at(1_001_000).observe({ type: 'tick' });
      service.observe({ type: 'exited', pod: 'dep-1-r1-2', exitCode: 1, reason: 'exited with code 1' });
      const wake2 = service.wakeAtMs;
      service.at(1_003_000).observe({ type: 'tick' });
      const last = service.observe({ type: 'exited', pod: 'dep-1-r1-3', exitCode: 1, reason: 'exited with code 1' });

      // Assess
      expect(launches(exit1)).toEqual([]);
      expect(reports(exit1)).toEqual([{ method: 'replicaExited', report: expect.objectContaining({ pod: 'dep-1-r1-1', exitCode: 1, reason: 'exited with code 1' }) }]);
      expect(wake1).toBe(1_001_000);
      expect(launches(tooEarly)).toEqual([]);
      expect(launches(retry1)).toEqual(['dep-1-r1-2']);
      expect(wake2).toBe(1_003_000);
      expect(last).toContainEqual({ type: 'withdraw' });
      expect(reports(last).at(-1)).toEqual({
        method: 'failed',
        report: {
          resourceId: 'dep-1',
          revision: 1,
          reason: 'the command exited 3 times before passing its health check on /health, the last time: exited with code 1; see the logs of pod dep-1-r1-3',
          at: expect.any(String),
        },
      });
      expect(service.state?.status).toBe('failed');
      expect(service.wakeAtMs).toBeNull();
      expect(service.at(2_000_000).observe({ type: 'tick' })).toEqual([]);
    });

    it('gives a never-ready revision up at its first replica not ready within the grace, whatever the crash-loop limit, and says what to check', () => {
      // Prepare
      const service = new Service(SETTINGS);
      service.observe({ type: 'applied', plan: plan(1, { replicas: 1 }) });
      service.observe({ type: 'launched', pod: 'dep-1-r1-1', ports: { 8000: 40_001 } });
      service.observe({ type: 'probed', pod: 'dep-1-r1-1', healthy: false, detail: 'connection refused' });

      // Act
      const beforeGrace = service.at(1_059_999).observe({ type: 'tick' });
      const afterGrace = service.at(1_060_000).observe({ type: 'tick' });

      // Assess
      expect(service.wakeAtMs).toBeNull();
      expect(beforeGrace).toEqual([]);
      expect(afterGrace).toContainEqual({ type: 'withdraw' });
      expect(afterGrace).toContainEqual(expect.objectContaining({ type: 'stop', pod: 'dep-1-r1-1' }));
      const exited = service.observe({ type: 'exited', pod: 'dep-1-r1-1', exitCode: null, reason: 'killed by SIGTERM' });
      expect(reports(exited).at(-1)?.report).toMatchObject({
        reason: 'no replica answered on /health within 60 s (once, last probe: connection refused); does the command listen on $PORT? See the logs of pod dep-1-r1-1',
      });
    });

    it('reports a given-up revision as failed only once its last replica has exited, so nothing runs of a resource in error', () => {
      // Prepare
      const service = new Service(SETTINGS);
      service.observe({ type: 'applied', plan: plan(1, { replicas: 2 }) });
      service.observe({ type: 'launched', pod: 'dep-1-r1-1', ports: { 8000: 40_001 } });
      service.observe({ type: 'launched', pod: 'dep-1-r1-2', ports: { 8000: 40_002 } });

      // Act
      const afterGrace = service.at(1_060_000).observe({ type: 'tick' });
      const firstExit = service.observe({ type: 'exited', pod: 'dep-1-r1-1', exitCode: null, reason: 'killed by SIGTERM' });
      const lastExit = service.observe({ type: 'exited', pod: 'dep-1-r1-2', exitCode: null, reason: 'killed by SIGTERM' });

      // Assess
      expect(afterGrace.filter((action) => action.type === 'stop').map((action) => action.type === 'stop' && action.pod)).toEqual(['dep-1-r1-1', 'dep-1-r1-2']);
      expect(reports(afterGrace).map((report) => report.method)).toEqual([]);
      expect(reports(firstExit).map((report) => report.method)).toEqual(['replicaExited']);
      expect(reports(lastExit).map((report) => report.method)).toEqual(['replicaExited', 'failed']);
      expect(service.observe({ type: 'tick' })).toEqual([]);
    });

    it('reports a held failure before a new start of the resource, keeping the reports in order', () => {
      // Prepare
      const service = new Service(SETTINGS);
      service.observe({ type: 'applied', plan: plan(1, { replicas: 1 }) });
      service.observe({ type: 'launched', pod: 'dep-1-r1-1', ports: { 8000: 40_001 } });
      service.at(1_060_000).observe({ type: 'tick' });

      // Act
      const restarted = service.observe({ type: 'applied', plan: plan(2, { replicas: 1 }) });

      // Assess
      expect(reports(restarted).map((report) => report.method)).toEqual(['failed']);
      expect(reports(restarted)[0]?.report).toMatchObject({ revision: 1 });
      expect(launches(restarted)).toEqual(['dep-1-r2-1']);
    });

    it('names the answer when replicas answered but never healthily', () => {
      const service = new Service({ ...SETTINGS, healthGraceMs: 1_500 });
      service.observe({ type: 'applied', plan: plan(1, { replicas: 1 }) });
      service.observe({ type: 'launched', pod: 'dep-1-r1-1', ports: { 8000: 40_001 } });
      service.observe({ type: 'probed', pod: 'dep-1-r1-1', healthy: false, detail: 'HTTP 503' });
      service.at(1_001_500).observe({ type: 'tick' });
      const actions = service.observe({ type: 'exited', pod: 'dep-1-r1-1', exitCode: null, reason: 'killed by SIGTERM' });
      expect(reports(actions).at(-1)?.report).toMatchObject({
        reason: 'no replica passed its health check on /health within 1.5 s (once; the last answer was HTTP 503); see the logs of pod dep-1-r1-1',
      });
    });
  });

  describe('a running service', () => {
    function serving(): Service {
      const service = new Service();
      service.observe({ type: 'applied', plan: plan(1) });
      service.ready('dep-1-r1-1', 'dep-1-r1-2');
      return service;
    }

    it('replaces a ready replica that exits, after a backoff, while the others keep serving; never giving up', () => {
      // Prepare
      const service = serving();

      // Act
      const exited = service.observe({ type: 'exited', pod: 'dep-1-r1-1', exitCode: null, reason: 'killed by SIGKILL' });
      const replaced = service.at(1_001_000).observe({ type: 'tick' });
      for (const n of [3, 4, 5, 6]) {
        service.at(service.wakeAtMs ?? 0).observe({ type: 'tick' });
        service.observe({ type: 'exited', pod: `dep-1-r1-${n}`, exitCode: 1, reason: 'exited with code 1' });
      }

      // Assess
      expect(readySets(exited)).toEqual([['dep-1-r1-2']]);
      expect(launches(exited)).toEqual([]);
      expect(launches(replaced)).toEqual(['dep-1-r1-3']);
      expect(service.state?.status).toBe('running');
      expect(service.wakeAtMs).toBe(service.nowMs + 16_000);
    });

    it('still replaces an exited replica when an observation that launches nothing (an idle check) comes after its backoff', () => {
      // Prepare
      const service = serving();
      service.observe({ type: 'exited', pod: 'dep-1-r1-1', exitCode: null, reason: 'killed by SIGKILL' });

      // Act: the idle check runs after the backoff ended but before the wake-up tick.
      service.at(1_005_000).observe({ type: 'idleFor', idleMs: 10 });
      const wakeAt = service.wakeAtMs;
      const replaced = service.at(wakeAt ?? 0).observe({ type: 'tick' });

      // Assess
      expect(wakeAt).toBe(1_005_000);
      expect(launches(replaced)).toEqual(['dep-1-r1-3']);
    });

    it('replaces a ready replica after enough failed probes in a row, a healthy probe resetting the count', () => {
      // Prepare
      const service = serving();
      const probe = (healthy: boolean) => service.observe({ type: 'probed', pod: 'dep-1-r1-1', healthy, detail: healthy ? 'HTTP 200' : 'HTTP 500' });

      // Act
      probe(false);
      probe(false);
      probe(true);
      probe(false);
      probe(false);
      const third = probe(false);

      // Assess
      expect(readySets(third)).toEqual([['dep-1-r1-2']]);
      expect(third).toContainEqual({
        type: 'stop',
        pod: 'dep-1-r1-1',
        reason: 'failed 3 health checks in a row on /health (last: HTTP 500); it is replaced',
        drain: false,
      });
      expect(launches(service.at(1_001_000).observe({ type: 'tick' }))).toEqual(['dep-1-r1-3']);
    });

    it('rolls out a higher revision beside the old one, then takes the old out of the ready set before stopping it', () => {
      // Prepare
      const service = serving();

      // Act
      const applied = service.observe({ type: 'applied', plan: plan(2) });
      const firstNew = service.ready('dep-1-r2-1');
      const lastNew = service.ready('dep-1-r2-2');

      // Assess
      expect(launches(applied)).toEqual(['dep-1-r2-1', 'dep-1-r2-2']);
      expect(stops(applied)).toEqual([]);
      expect(readySets(firstNew)).toEqual([['dep-1-r1-1', 'dep-1-r1-2', 'dep-1-r2-1']]);
      expect(stops(firstNew)).toEqual([]);
      const setReadyAt = lastNew.findIndex((action) => action.type === 'setReady');
      const firstStopAt = lastNew.findIndex((action) => action.type === 'stop');
      expect(readySets(lastNew).at(-1)).toEqual(['dep-1-r2-1', 'dep-1-r2-2']);
      expect(setReadyAt).toBeLessThan(firstStopAt);
      expect(lastNew.filter((action) => action.type === 'stop')).toEqual([
        { type: 'stop', pod: 'dep-1-r1-1', reason: 'replaced by revision 2', drain: true },
        { type: 'stop', pod: 'dep-1-r1-2', reason: 'replaced by revision 2', drain: true },
      ]);
      expect(reports(lastNew).at(-1)).toMatchObject({ method: 'rolledOut', report: { revision: 2 } });
      expect(service.state?.serving?.plan.revision).toBe(2);
    });

    it('rolls back a revision that crash-loops: its replicas stop, the old keep serving and are still replaced from the old template', () => {
      // Prepare
      const service = serving();
      service.observe({ type: 'applied', plan: plan(2, { replicas: 1 }) });

      // Act
      let last: Action[] = [];
      for (const n of [1, 2, 3]) {
        // The first replica launches at once; each next one after its backoff.
        if (n > 1) service.at(service.wakeAtMs ?? service.nowMs).observe({ type: 'tick' });
        service.observe({ type: 'launched', pod: `dep-1-r2-${n}`, ports: { 8000: 41_000 + n } });
        last = service.observe({ type: 'exited', pod: `dep-1-r2-${n}`, exitCode: 2, reason: 'exited with code 2' });
      }
      const oldExit = service.observe({ type: 'exited', pod: 'dep-1-r1-1', exitCode: 137, reason: 'exited with code 137' });
      const replacement = service.at(service.wakeAtMs ?? 0).observe({ type: 'tick' });

      // Assess
      expect(reports(last).at(-1)).toEqual({
        method: 'rolledBack',
        report: {
          resourceId: 'dep-1',
          revision: 2,
          reason: 'the command exited 3 times before passing its health check on /health, the last time: exited with code 2; see the logs of pod dep-1-r2-3',
          at: expect.any(String),
        },
      });
      expect(last).not.toContainEqual({ type: 'withdraw' });
      expect(service.state?.rollout).toBeNull();
      expect(readySets(oldExit)).toEqual([['dep-1-r1-2']]);
      expect(launches(replacement)).toEqual(['dep-1-r1-3']);
      expect(replacement).toContainEqual(expect.objectContaining({ type: 'launch', spec: expect.objectContaining({ command: 'serve v1' }) }));
      expect(service.observe({ type: 'applied', plan: plan(2) })).toEqual([]);
    });

    it('stops the replicas of a rollout that a higher revision replaces before it was ready', () => {
      const service = serving();
      service.observe({ type: 'applied', plan: plan(2) });
      service.ready('dep-1-r2-1');
      const actions = service.observe({ type: 'applied', plan: plan(3) });
      expect(stops(actions)).toEqual(['dep-1-r2-1', 'dep-1-r2-2']);
      expect(launches(actions)).toEqual(['dep-1-r3-1', 'dep-1-r3-2']);
      expect(readySets(actions)).toEqual([['dep-1-r1-1', 'dep-1-r1-2']]);
    });

    it('on a stop, withdraws the routes and stops every replica, replacing none of them', () => {
      // Prepare
      const service = serving();

      // Act
      const stopped = service.observe({ type: 'stopRequested', reason: 'stopped by alice' });
      const exited = service.observe({ type: 'exited', pod: 'dep-1-r1-1', exitCode: null, reason: 'stopped by alice' });

      // Assess
      expect(stopped).toEqual([
        { type: 'withdraw' },
        { type: 'stop', pod: 'dep-1-r1-1', reason: 'stopped by alice', drain: false },
        { type: 'stop', pod: 'dep-1-r1-2', reason: 'stopped by alice', drain: false },
      ]);
      expect(reports(exited)).toEqual([{ method: 'replicaExited', report: expect.objectContaining({ pod: 'dep-1-r1-1' }) }]);
      expect(launches(exited)).toEqual([]);
      expect(service.wakeAtMs).toBeNull();
      expect(launches(service.observe({ type: 'applied', plan: plan(1) }))).toEqual([]);
      expect(launches(service.observe({ type: 'applied', plan: plan(2) }))).toEqual(['dep-1-r2-1', 'dep-1-r2-2']);
    });

    it('reports idleness once, only while serving, and again after a new revision', () => {
      // Prepare
      const service = new Service();
      service.observe({ type: 'applied', plan: plan(1, { replicas: 1, idleShutoffSeconds: 600 }) });
      const whileStarting = service.observe({ type: 'idleFor', idleMs: 700_000 });
      service.ready('dep-1-r1-1');

      // Act
      const busy = service.observe({ type: 'idleFor', idleMs: 599_999 });
      const idle = service.observe({ type: 'idleFor', idleMs: 600_500 });
      const again = service.observe({ type: 'idleFor', idleMs: 900_000 });
      service.observe({ type: 'applied', plan: plan(2, { replicas: 1, idleShutoffSeconds: 600 }) });
      service.ready('dep-1-r2-1');
      const afterApply = service.observe({ type: 'idleFor', idleMs: 600_000 });

      // Assess
      expect(whileStarting).toEqual([]);
      expect(busy).toEqual([]);
      expect(reports(idle)).toEqual([{ method: 'idle', report: { resourceId: 'dep-1', idleSeconds: 600, at: expect.any(String) } }]);
      expect(again).toEqual([]);
      expect(reports(afterApply).map((report) => report.method)).toEqual(['idle']);
    });
  });

  it('waits base, 2×base, 4×base … up to the maximum between replacements', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((failures) => backoffMs(failures, SETTINGS))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});
