/**
 * Turns what jobs and runs record into what must happen next: a requested run gets its
 * stream and its tasks (after its backoff), a replaced or stopped job's runs are cancelled,
 * an ended run stops its remaining tasks and tells its job (which may retry), a running run
 * with a timeout is timed out, and a job's schedule follows its spec.
 *
 * Every reaction is idempotent (the commands it sends decide nothing when repeated), which is
 * what at-least-once delivery needs.
 */
import { isResourceEvent } from '../../../events/event-versions.ts';
import type { CommittedBatch } from '../../ports/event-store.ts';
import type { JobScheduler } from '../../ports/job-scheduler.ts';
import type { Timers } from '../../ports/timers.ts';
import type { Clock } from '../../ports/platform-clock.ts';
import type { JobRunService } from '../job-run-service.ts';
import type { RunTaskControl } from '../../ports/run-task-control.ts';
import { RESOURCE_STREAM_PREFIX } from '../resource-model.ts';
import type { ResourceState } from '../../domain/resource/resource-decider.ts';
import { resourceId } from '../../domain/resource/resource-identity.ts';
import { runFinished, type Run } from '../../domain/run/run-decider.ts';
import type { ResourceRoleRemoval } from '../../ports/resource-roles.ts';

const SCHEDULE_EVENTS = new Set(['ResourceCreated', 'ResourceSpecUpdated', 'JobScheduleSet', 'JobScheduleSuspended', 'JobScheduleResumed', 'ResourceDeleted']);
const STOPPING_EVENTS = new Set(['RunCancelled', 'RunFailed', 'RunTimedOut']);

export interface JobRunReactorDeps {
  jobs: JobRunService;
  launcher: RunTaskControl;
  scheduler: JobScheduler;
  timers: Timers;
  clock: Clock;
  /** The job's own cloud roles, deleted with it (none locally). */
  roles?: ResourceRoleRemoval;
}

export class JobRunReactor {
  readonly name = 'job-run-reactor';

  constructor(private readonly deps: JobRunReactorDeps) {}

  reactsTo(streamId: string): boolean {
    return streamId.startsWith(RESOURCE_STREAM_PREFIX) || streamId.startsWith('run-');
  }

  async handle(batch: CommittedBatch): Promise<void> {
    if (batch.streamId.startsWith(RESOURCE_STREAM_PREFIX)) return this.onJobBatch(batch);
    if (batch.streamId.startsWith('run-')) return this.onRunBatch(batch);
  }

  private async onJobBatch(batch: CommittedBatch): Promise<void> {
    const state = batch.snapshot.state as ResourceState;
    if (state.address?.type !== 'job') return;
    const events = batch.events.filter(isResourceEvent);
    for (const e of events) {
      if (e.type === 'JobRunRequested' && state.live?.type === 'job') {
        await this.deps.jobs.queueRequested(state.live, e);
        for (const replaced of e.data.replaces) await this.cancel(replaced, `replaced by run ${e.data.run_id} (concurrency policy Replace)`);
      } else if (e.type === 'JobTickSkipped' && state.live?.type === 'job') {
        await this.deps.jobs.skipTick(state.live, e);
      } else if (e.type === 'ResourceStopRequested' && state.live?.type === 'job') {
        for (const run of state.live.runs.active) await this.cancel(run.id, `the job was stopped by ${e.actor}`);
      } else if (e.type === 'ResourceDeleted') {
        for (const runId of e.data.active_runs ?? []) await this.cancel(runId, `the job was deleted by ${e.actor}`);
        if (state.incarnation > 0) await this.deps.roles?.removeOf(resourceId(state.streamId, state.incarnation));
      }
    }
    if (events.some((e) => SCHEDULE_EVENTS.has(e.type))) await this.syncSchedule(state);
  }

  private async syncSchedule(state: ResourceState): Promise<void> {
    const live = state.live?.type === 'job' ? state.live : null;
    const schedule = live?.spec.schedule;
    if (live && schedule) {
      // Specs recorded before `schedule_timezone` had a default have none.
      await this.deps.scheduler.put({ jobId: live.id, schedule, timeZone: live.spec.schedule_timezone ?? 'UTC', suspended: live.scheduleSuspended });
    } else if (state.incarnation > 0) {
      await this.deps.scheduler.remove(resourceId(state.streamId, state.incarnation));
    }
  }

  private async onRunBatch(batch: CommittedBatch): Promise<void> {
    const run = batch.snapshot.state as Run | null;
    if (!run) return;
    for (const e of batch.events) {
      if (e.type === 'RunQueued') this.arm(`launch:${run.id}`, run.notBefore, () => this.launch(run.id));
      if (e.type === 'RunStarted' && run.plan?.timeout_seconds && run.startedAt) {
        const deadline = new Date(Date.parse(run.startedAt) + run.plan.timeout_seconds * 1000).toISOString();
        this.arm(`timeout:${run.id}`, deadline, () => this.timeOut(run.id));
      }
      if (STOPPING_EVENTS.has(e.type)) await this.deps.launcher.stopTasks(run, run.reason ?? e.type);
    }
    if (runFinished(run)) {
      this.deps.timers.cancel(`launch:${run.id}`);
      this.deps.timers.cancel(`timeout:${run.id}`);
      await this.deps.jobs.recordFinished(run);
    }
  }

  /** Runs `action` at `when`, or now when that has passed (or there is no time). */
  private arm(key: string, when: string | null, action: () => Promise<void>): void {
    const at = when ? new Date(when) : this.deps.clock.now();
    this.deps.timers.at(key, at, action);
  }

  private async launch(runId: string): Promise<void> {
    const run = await this.deps.jobs.load(runId);
    // Access was decided when the run was queued; a retry may have waited minutes since.
    if (run?.status === 'queued') await this.deps.jobs.launchQueued(run, this.deps.launcher, 'system:runner');
  }

  private async timeOut(runId: string): Promise<void> {
    const run = await this.deps.jobs.load(runId);
    if (run && !runFinished(run)) await this.deps.jobs.report(runId, { kind: 'TimeOutRun', at: this.deps.clock.now().toISOString(), actor: 'system:runner' });
  }

  private async cancel(runId: string, reason: string): Promise<void> {
    const run = await this.deps.jobs.load(runId);
    if (run && !runFinished(run)) await this.deps.jobs.report(runId, { kind: 'CancelRun', reason, at: this.deps.clock.now().toISOString(), actor: 'system:runner' });
  }
}
