/**
 * The use cases of job runs: dispatching a run (API, schedule tick), reading runs, cancelling
 * one, and the runtime's reports (tasks launched, started, exited; timeouts; finished runs).
 * The job stream decides what a request means; each run then lives in its own stream.
 */
import { createHash } from 'node:crypto';
import type { EventStore } from '../ports/event-store.ts';
import type { RunViews } from '../ports/run-views.ts';
import type { Clock, RandomSource } from '../ports/platform-clock.ts';
import { loadState, runCommand, type StreamModel } from './command-runner.ts';
import { resourceModel } from './resource-model.ts';
import { GroupCommit } from './group-commit.ts';
import { loadVisibleResource } from './visible-resource.ts';
import { runDecider, runStreamId, runFinished, type Run, type RunCommand, type RunState } from '../domain/run/run-decider.ts';
import type { RunEvent } from '../../events/run-events.ts';
import { runForKey, NO_RUNS } from '../domain/resource/job-runs.ts';
import { addressOf } from '../domain/resource/resource-identity.ts';
import type { LiveJob, LiveResource } from '../domain/resource/resource-decider.ts';
import { planRun, refuseOversizedPlan, type RunOverrides } from '../domain/planner/run-plan.ts';
import type { User } from '../domain/identity/principal-decider.ts';
import { ConflictError, LimitExceededError, NotFoundError } from '../domain/errors.ts';
import type { ResourceEvent } from '../../events/resource-events.ts';
import { attachmentFacts } from './attachment-facts.ts';
import { attachmentsRefusal } from './attachment-gate.ts';
import type { RunTaskControl } from '../ports/run-task-control.ts';
import type { UsageLimitsState } from '../domain/limits/usage-limits.ts';
import { isRunEvent } from '../../events/event-versions.ts';
import { ofType } from '../../events/envelope.ts';

export const RUN_SNAPSHOT_SCHEMA = 1;
const QUEUE_WAIT_MS = 3000;
const QUEUE_POLL_MS = 50;

/** A run stream as it is before its first event: what a dispatch decides its new run on without reading it. */
const NEW_RUN_STREAM = { head: { version: 0, snapshot: undefined, recentCommands: [] }, state: runDecider.initialState };

export function runModel(runId: string): StreamModel<RunCommand, RunEvent, RunState> {
  return { streamId: runStreamId(runId), decider: runDecider, snapshotSchema: RUN_SNAPSHOT_SCHEMA, isEvent: isRunEvent };
}

/** A scheduled tick's run id is derived from the job and the tick, so a double fire names one run. */
export function tickRunId(jobId: string, scheduledFor: string): string {
  return createHash('sha256').update(`tick\n${jobId}\n${scheduledFor}`).digest('hex').slice(0, 32);
}

export interface RunResponse {
  id: string;
  job_id: string;
  status: Run['status'];
  trigger: Run['trigger'];
  attempt: number;
  scheduled_for?: string;
  not_before?: string;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  exit_code?: number;
  reason?: string;
  tasks: Array<{ name: string; rank: number; status: string; exit_code?: number }>;
}

export function renderRun(run: Run): RunResponse {
  return {
    id: run.id,
    job_id: run.jobId,
    status: run.status,
    trigger: run.trigger,
    attempt: run.attempt,
    ...(run.scheduledFor ? { scheduled_for: run.scheduledFor } : {}),
    ...(run.notBefore && run.status === 'queued' ? { not_before: run.notBefore } : {}),
    created_at: run.createdAt,
    ...(run.startedAt ? { started_at: run.startedAt } : {}),
    ...(run.finishedAt ? { finished_at: run.finishedAt } : {}),
    ...(run.exitCode !== null ? { exit_code: run.exitCode } : {}),
    ...(run.reason ? { reason: run.reason } : {}),
    tasks: run.tasks.map((t) => ({ name: t.taskId, rank: t.rank, status: t.status, ...(t.exitCode !== null ? { exit_code: t.exitCode } : {}) })),
  };
}

export interface JobRunServiceDeps {
  store: EventStore;
  runViews: RunViews;
  clock: Clock;
  random: RandomSource;
  /** The queue per stream this process's commands go through; share it with ResourceService, whose starts and stops write the same job streams. */
  commits?: GroupCommit;
  /** Usage limits: a run they refuse now is refused (403) or, when a schedule is due, recorded skipped. */
  limits?: { state(): Promise<UsageLimitsState>; startRefusal(job: LiveResource, loaded?: UsageLimitsState, actor?: string): Promise<string | undefined> };
}

export class JobRunService {
  /** Dispatches, ticks and finished runs queue per job, and new runs per run: a burst to one job is decided in groups, not raced (group-commit.ts). */
  private readonly commits: GroupCommit;

  constructor(private readonly deps: JobRunServiceDeps) {
    this.commits = deps.commits ?? new GroupCommit(deps.store);
  }

  /** `POST /api/jobs/{id}/runs`: a run now, or the run an Idempotency-Key already started. */
  async dispatch(user: User, jobId: string, options: { overrides?: RunOverrides; idempotencyKey?: string } = {}): Promise<Run> {
    // The decider tells an unknown id (404) from a deleted job (409).
    // The limits are read beside the job's stream: one round trip of reads.
    const [loaded, limits] = await Promise.all([loadVisibleResource(this.deps.store, user, 'job', jobId), this.deps.limits?.state()]);
    const live = loaded.state.live?.type === 'job' ? loaded.state.live : null;
    if (options.overrides && live) refuseOversizedPlan(planRun(live.spec, options.overrides));
    // A repeated request (same Idempotency-Key) answers with its run whatever the limits say now.
    const repeat = live && options.idempotencyKey !== undefined && runForKey(live.runs, options.idempotencyKey, this.now());
    if (live && live.id === jobId && !repeat) {
      const refusal = await this.deps.limits?.startRefusal(live, limits, user.username);
      if (refusal) throw new LimitExceededError(refusal);
    }
    const outcome = await this.commits.run(resourceModel(loaded.state.streamId), {
      kind: 'RequestJobRun',
      id: jobId,
      runId: this.newId(),
      trigger: 'api',
      idempotencyKey: options.idempotencyKey,
      overrides: options.overrides,
      ...this.meta(user.username),
    }, { loaded });
    const job = outcome.state.live?.type === 'job' ? outcome.state.live : null;
    const [requested] = ofType(outcome.events, 'JobRunRequested');
    // The run id was drawn for this request just now: its stream is new, unless the reactor got there first (then the write is refused and read again).
    if (job && requested) return this.queueRequested(job, requested, { newStream: true });
    const runId = runForKey(job?.runs ?? NO_RUNS, options.idempotencyKey ?? '', this.now());
    if (!runId) throw new NotFoundError(`No job with id ${jobId}.`);
    return this.awaitQueued(jobId, runId);
  }

  /** A schedule fired for the job at `scheduledFor`; the job decides whether that starts a run. */
  async tick(jobId: string, scheduledFor: string): Promise<void> {
    const address = addressOf(jobId);
    if (!address) return;
    const { state } = await loadState(this.deps.store, resourceModel(address.streamId));
    if (!state.live || state.live.id !== jobId) return;
    const refusal = await this.deps.limits?.startRefusal(state.live);
    await this.commits.run(resourceModel(address.streamId), {
      kind: 'RequestJobRun',
      id: jobId,
      runId: tickRunId(jobId, scheduledFor),
      trigger: 'schedule',
      scheduledFor,
      ...(refusal ? { refusal } : {}),
      ...this.meta('system:scheduler'),
    });
  }

  /**
   * Creates the run stream a JobRunRequested names (idempotent: the API and the reactor both may).
   * `newStream`: the caller knows the stream is almost surely new, so it is not read first.
   */
  async queueRequested(job: LiveJob, requested: Extract<ResourceEvent, { type: 'JobRunRequested' }>, options: { newStream?: boolean } = {}): Promise<Run> {
    const d = requested.data;
    // Access to the attachments is decided now, for this run, not only when the job was applied.
    const planning = await attachmentFacts(this.deps.store, job.owner, job.spec);
    // Through the process's queue for the stream: the API and the reactor both queue each run, and
    // the second then decides on the first's outcome (nothing to do) instead of racing it.
    const outcome = await this.commits.run(runModel(d.run_id), {
      kind: 'QueueRun',
      runId: d.run_id,
      jobId: job.id,
      owner: job.owner,
      trigger: d.trigger,
      attempt: d.attempt,
      scheduledFor: d.scheduled_for,
      notBefore: d.not_before,
      plan: planRun(job.spec, d.overrides ?? undefined, planning.refused === undefined ? planning.facts : {}),
      ...(planning.refused === undefined ? {} : { refusal: planning.refused }),
      ...this.meta(requested.actor),
    }, options.newStream ? { loaded: NEW_RUN_STREAM } : {});
    return outcome.state!;
  }

  /**
   * Launches a queued run through `control`, unless its owner lost access to a secret or shared
   * folder of its plan since it was queued (a retry waits out its backoff queued): then the run
   * fails with the reason and nothing launches. The reactor and the reconciler both launch so.
   */
  async launchQueued(run: Run, control: RunTaskControl, actor: string): Promise<'launched' | 'refused'> {
    const refusal = await attachmentsRefusal(this.deps.store, run.owner, run.plan?.attachments);
    if (refusal === undefined) {
      await control.launch(run);
      return 'launched';
    }
    await this.report(run.id, { kind: 'RefuseLaunch', reason: refusal, ...this.meta(actor) });
    return 'refused';
  }

  async skipTick(job: LiveJob, skipped: Extract<ResourceEvent, { type: 'JobTickSkipped' }>): Promise<void> {
    await runCommand(this.deps.store, runModel(skipped.data.run_id), {
      kind: 'SkipRun',
      runId: skipped.data.run_id,
      jobId: job.id,
      owner: job.owner,
      scheduledFor: skipped.data.scheduled_for,
      reason: skipped.data.reason,
      ...this.meta('system:scheduler'),
    });
  }

  async listRuns(user: User, jobId: string, limit: number, cursor?: string): Promise<{ runs: Run[]; cursor: string | null }> {
    await loadVisibleResource(this.deps.store, user, 'job', jobId);
    return this.deps.runViews.list({ jobId, limit, cursor });
  }

  async getRun(user: User, jobId: string, runId: string): Promise<Run> {
    await loadVisibleResource(this.deps.store, user, 'job', jobId);
    return this.runOf(jobId, runId);
  }

  async cancel(user: User, jobId: string, runId: string, reason = `cancelled by ${user.username}`): Promise<Run> {
    await loadVisibleResource(this.deps.store, user, 'job', jobId);
    await this.runOf(jobId, runId);
    return (await this.command(runId, { kind: 'CancelRun', reason, ...this.meta(user.username) }))!;
  }

  /** Runtime reports, from the task driver and the reactor. */
  report(runId: string, command: RunCommand): Promise<RunState> {
    return this.command(runId, command);
  }

  async load(runId: string): Promise<RunState> {
    return (await loadState(this.deps.store, runModel(runId))).state;
  }

  /** Tells the job a run ended, which may request a retry. */
  async recordFinished(run: Run): Promise<void> {
    if (!runFinished(run)) return;
    const address = addressOf(run.jobId);
    if (!address) return;
    await this.commits.run(resourceModel(address.streamId), {
      kind: 'RecordJobRunFinished',
      id: run.jobId,
      runId: run.id,
      status: run.status as 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'timed_out',
      attempt: run.attempt,
      ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
      retryRunId: this.newId(),
      ...this.meta('system:runner'),
    }).catch((error) => {
      // The job was deleted meanwhile: there is nothing left to tell.
      if (!(error instanceof NotFoundError) && (error as Error).name !== 'ConflictError') throw error;
    });
  }

  private async runOf(jobId: string, runId: string): Promise<Run> {
    if (!/^[0-9a-f]{32}$/.test(runId)) throw new NotFoundError(`No run ${runId} of job ${jobId}.`);
    const run = await this.load(runId);
    if (!run || run.jobId !== jobId) throw new NotFoundError(`No run ${runId} of job ${jobId}.`);
    return run;
  }

  /**
   * The run a racing request with the same Idempotency-Key started: that request (or, if it
   * died, the reactor) is creating its stream right now, so wait for it briefly.
   */
  private async awaitQueued(jobId: string, runId: string): Promise<Run> {
    for (let waited = 0; waited < QUEUE_WAIT_MS; waited += QUEUE_POLL_MS) {
      const run = await this.load(runId);
      if (run) return run;
      await new Promise((resolve) => setTimeout(resolve, QUEUE_POLL_MS));
    }
    throw new ConflictError(`Run ${runId} of job ${jobId} is still being created; retry the request with the same Idempotency-Key.`);
  }

  private async command(runId: string, command: RunCommand): Promise<RunState> {
    return (await runCommand(this.deps.store, runModel(runId), command)).state;
  }

  private newId(): string {
    return Buffer.from(this.deps.random.bytes(16)).toString('hex');
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  private meta(actor: string): { at: string; actor: string } {
    return { at: this.now(), actor };
  }
}
