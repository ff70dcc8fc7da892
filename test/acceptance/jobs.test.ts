/**
 * Job runs over HTTP against `npm start`: a run's outcome and its logs, per-run overrides,
 * Idempotency-Key, retries with backoff, timeouts, cancelling (one run, a stopped job, a
 * deleted job) with its processes gone, scale, pods, and schedules: a tick on the minute with
 * each concurrency policy, fire times in a time zone, suspend and resume.
 *
 * Every test has jobs of its own, so the suites run concurrently: the schedule test spends
 * up to a minute waiting for a minute boundary, and the rest run meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type Json } from './support/local-server.ts';
import { waitUntil } from '../support/wait-until.ts';
import { signUpUsers } from './support/users.ts';
import {
  applyJob,
  getJob,
  getRun,
  jobReaches,
  listRuns,
  LONG_COMMAND,
  processEnds,
  processRuns,
  runningRun,
  runReaches,
  startRun,
  taskHome,
  taskLog,
  tasksExited,
} from './support/job-runs.ts';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const WHOLE_MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00(\.0+)?Z$/;
const RUN_ID = /^[0-9a-f]{32}$/;
/** Retries wait 10 s before the second attempt. */
const FIRST_BACKOFF_MS = 10_000;
/** The schedule test waits for the next minute boundary, up to a minute. */
const MINUTE_TEST_TIMEOUT_MS = 75_000;
const MINUTE_WAIT_MS = 70_000;

let server: LocalServer;

beforeAll(async () => {
  server = await LocalServer.start();
});

afterAll(async () => {
  // A clean stop ends the tasks still running; a killed control plane would leave them behind.
  await server?.stop('SIGTERM');
  await server?.dispose();
});

/**
 * The first `count` times after `after` of a schedule firing at 09:00 local time in `timeZone`
 * on the days `fires` accepts (weekday 0 is Sunday), worked out with Intl rather than croner.
 */
function nineOClockFireTimes(after: Date, timeZone: string, count: number, fires: (day: { weekday: number; month: number; day: number }) => boolean): string[] {
  const local = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', hourCycle: 'h23' });
  const parts = (at: Date) => Object.fromEntries(local.formatToParts(at).map((p) => [p.type, p.value]));
  const today = parts(after);
  const times: string[] = [];
  for (let offsetDays = 0; times.length < count && offsetDays < 800; offsetDays++) {
    // Calendar arithmetic on the local date, in UTC where every day has 24 hours.
    const date = new Date(Date.UTC(Number(today.year), Number(today.month) - 1, Number(today.day) + offsetDays));
    const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (!fires({ weekday: date.getUTCDay(), month, day })) continue;
    // 09:00 in a European zone is 07:00, 08:00 or 09:00 UTC: the one that reads 09 there.
    const nine = [7, 8, 9].map((hour) => new Date(Date.UTC(year, month - 1, day, hour))).find((at) => parts(at).hour === '09');
    if (nine && nine > after) times.push(nine.toISOString());
  }
  return times;
}

describe.concurrent('a job on a schedule', () => {
  it(
    'fires on the next minute boundary: Allow starts a run, Forbid records the tick as a skipped run, Replace cancels the active run and starts; a suspended schedule does not fire',
    async () => {
      // Prepare: the Forbid and Replace jobs get a run going before their schedule is set, so their first tick finds it active.
      const allowScheduledAt = Date.now();
      const allow = await applyJob(server, { name: 'minute-allow', command: 'echo tick', schedule: '* * * * *' });
      const suspended = await applyJob(server, { name: 'minute-suspended', command: 'echo tick', schedule: '* * * * *' });
      expect((await server.api('POST', `/api/jobs/${suspended}/unschedule`)).status).toBe(200);
      const forbid = await applyJob(server, { name: 'minute-forbid', command: 'sleep 90' });
      const replace = await applyJob(server, { name: 'minute-replace', command: 'sleep 90' });
      const [forbidden, replaced] = await Promise.all([startRun(server, forbid), startRun(server, replace)]);
      await Promise.all([runReaches(server, forbid, forbidden.id, ['running']), runReaches(server, replace, replaced.id, ['running'])]);
      const scheduledAt = Date.now();
      for (const [id, policy] of [
        [forbid, 'Forbid'],
        [replace, 'Replace'],
      ]) {
        const response = await server.api('PATCH', `/api/jobs/${id}`, { cron_schedule_options: { schedule: '* * * * *', concurrency_policy: policy } });
        expect(response.status, response.text).toBe(200);
      }

      // Act
      const tickOf = (jobId: string) =>
        waitUntil(`job ${jobId} to be ticked`, () => listRuns(server, jobId), (runs) => runs.some((r: Json) => r.trigger === 'schedule'), MINUTE_WAIT_MS).then(
          (runs) => runs.find((r: Json) => r.trigger === 'schedule'),
        );
      const [allowTick, forbidTick, replaceTick] = await Promise.all([tickOf(allow), tickOf(forbid), tickOf(replace)]);

      // Assess
      for (const [tick, setAt] of [
        [allowTick, allowScheduledAt],
        [forbidTick, scheduledAt],
        [replaceTick, scheduledAt],
      ]) {
        // The first minute boundary after the schedule was set, and the run created right then.
        expect(tick.scheduled_for).toMatch(WHOLE_MINUTE);
        expect(Date.parse(tick.scheduled_for)).toBeGreaterThan(setAt - 1_000);
        expect(Date.parse(tick.scheduled_for)).toBeLessThanOrEqual(setAt + 65_000);
        expect(Date.parse(tick.created_at) - Date.parse(tick.scheduled_for)).toBeLessThan(5_000);
        expect(tick.attempt).toBe(1);
      }
      const allowRun = await runReaches(server, allow, allowTick.id);
      expect(allowRun.status).toBe('succeeded');
      expect(await taskLog(server, allow, allowRun.tasks[0].name)).toEqual(['tick']);

      expect(forbidTick).toMatchObject({ status: 'skipped', tasks: [] });
      expect(forbidTick.reason).toMatch(/Forbid/);
      expect(forbidTick.reason).toContain(forbidden.id);
      expect((await getRun(server, forbid, forbidden.id)).status).toBe('running');

      const replacedRun = await runReaches(server, replace, replaced.id);
      expect(replacedRun.status).toBe('cancelled');
      expect(replacedRun.reason).toMatch(new RegExp(`replaced by run ${replaceTick.id}.*Replace`));
      expect((await runReaches(server, replace, replaceTick.id, ['running'])).tasks).toHaveLength(1);

      expect(await listRuns(server, suspended)).toEqual([]);
      // The jobs would fire again every minute; deleting them ends their runs too.
      for (const id of [allow, suspended, forbid, replace]) expect((await server.api('DELETE', `/api/jobs/${id}`)).status).toBe(204);
    },
    MINUTE_TEST_TIMEOUT_MS,
  );

  it("lists the next five fire times in the job's time zone, at 08:00Z in winter and 07:00Z in summer for 09:00 in Paris", async () => {
    // Prepare
    const now = new Date();
    const weekdays = nineOClockFireTimes(now, 'Europe/Paris', 5, ({ weekday }) => weekday >= 1 && weekday <= 5);
    const lateMarch = nineOClockFireTimes(now, 'Europe/Paris', 5, ({ month, day }) => month === 3 && day >= 25);

    // Act
    const weekdayJob = await server.api('PUT', '/api/recipes', { type: 'job', spec: { name: 'paris-weekdays', command: 'true', schedule: '0 9 * * 1-5', schedule_timezone: 'Europe/Paris' } });
    const marchJob = await server.api('PUT', '/api/recipes', { type: 'job', spec: { name: 'paris-march', command: 'true', schedule: '0 9 25-31 3 *', schedule_timezone: 'Europe/Paris' } });

    // Assess
    expect(weekdayJob.status, weekdayJob.text).toBe(201);
    expect(weekdayJob.json.state.next_runs).toEqual(weekdays);
    for (const at of weekdayJob.json.state.next_runs) expect(at).toMatch(/T0[78]:00:00(\.000)?Z$/);
    // The last days of March straddle the switch to summer time: both hours appear.
    expect(marchJob.status, marchJob.text).toBe(201);
    expect(marchJob.json.state.next_runs).toEqual(lateMarch);
    const hours = new Set(marchJob.json.state.next_runs.map((at: string) => new Date(at).getUTCHours()));
    expect([...hours].sort()).toEqual([7, 8]);
  });

  it('suspends with /unschedule, leaving no fire times, and resumes with /schedule', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'suspend-resume', command: 'true', schedule: '0 9 * * 1-5', schedule_timezone: 'Europe/Paris' });
    const before = (await getJob(server, 'suspend-resume')).state;

    // Act
    const suspended = await server.api('POST', `/api/jobs/${id}/unschedule`);
    const whileSuspended = await getJob(server, 'suspend-resume');
    const resumed = await server.api('POST', `/api/jobs/${id}/schedule`);

    // Assess
    expect(before.scheduled).toBe(true);
    expect(before.next_runs).toHaveLength(5);
    expect(suspended.status).toBe(200);
    expect(suspended.json.state.scheduled).toBe(false);
    expect(suspended.json.state.next_runs).toBeUndefined();
    expect(whileSuspended.state.next_runs).toBeUndefined();
    expect(whileSuspended.spec.schedule).toBe('0 9 * * 1-5');
    expect(resumed.status).toBe(200);
    expect(resumed.json.state.scheduled).toBe(true);
    expect(resumed.json.state.next_runs).toEqual(before.next_runs);
  });
});

describe.concurrent('a run of a job', () => {
  it('succeeds, with what its command printed on stdout and stderr in the logs of its task', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'hello', command: 'echo hello; echo second line; echo careful >&2' });

    // Act
    const accepted = await startRun(server, id);
    const run = await runReaches(server, id, accepted.id);

    // Assess
    expect(accepted).toMatchObject({ status: 'queued', trigger: 'api', attempt: 1, job_id: id });
    expect(accepted.id).toMatch(RUN_ID);
    expect(accepted.created_at).toMatch(ISO_TIME);
    expect(run).toMatchObject({ id: accepted.id, status: 'succeeded', exit_code: 0, trigger: 'api', attempt: 1 });
    expect(run.reason).toBeUndefined();
    expect(run.started_at).toMatch(ISO_TIME);
    expect(run.finished_at).toMatch(ISO_TIME);
    expect(run.tasks).toEqual([{ name: run.tasks[0].name, rank: 0, status: 'exited', exit_code: 0 }]);
    const pod = run.tasks[0].name;
    const logs = (await server.api('GET', `/api/jobs/${id}/logs?format=lines&pod_name=${pod}`)).json.logs;
    expect(logs.filter((l: Json) => l.stream === 'stdout').map((l: Json) => l.message)).toEqual(['hello', 'second line']);
    expect(logs.filter((l: Json) => l.stream === 'stderr').map((l: Json) => l.message)).toEqual(['careful']);
    for (const line of logs) expect(line).toMatchObject({ pod_name: pod, timestamp: expect.stringMatching(ISO_TIME) });
    // Without pod_name, the logs are the newest run's first task's.
    expect((await server.api('GET', `/api/jobs/${id}/logs?format=lines`)).json.logs).toEqual(logs);
    // Saturn's shape by default, as SaturnConnection.get_logs reads it (`result["logs"]`, printed whole): the
    // text, each line as written, in the order the log holds them.
    const saturn = (await server.api('GET', `/api/jobs/${id}/logs?pod_name=${pod}`)).json;
    expect(saturn).toEqual({ logs: logs.map((l: Json) => l.message).join('\n'), next_key: null });
    expect((await jobReaches(server, 'hello', 'stopped')).state.last_run).toMatchObject({ id: run.id, status: 'succeeded' });
  });

  it('fails with the exit code of a failing command and a reason that names it', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'exits-three', command: 'echo about to fail; exit 3' });

    // Act
    const run = await runReaches(server, id, (await startRun(server, id)).id);

    // Assess
    expect(run).toMatchObject({ status: 'failed', exit_code: 3 });
    expect(run.reason).toMatch(/code 3/);
    expect(run.tasks[0]).toMatchObject({ status: 'exited', exit_code: 3 });
    expect(await taskLog(server, id, run.tasks[0].name)).toEqual(['about to fail']);
  });

  it("applies a run's command and environment_variables to that run only", async () => {
    // Prepare
    const id = await applyJob(server, { name: 'overridden', command: 'echo "job says $GREETING $TARGET"', environment_variables: { GREETING: 'hello', TARGET: 'world' } });

    // Act
    const overridden = await startRun(server, id, { command: 'echo "run says $GREETING $TARGET"', environment_variables: { GREETING: 'bonjour' } });
    const first = await runReaches(server, id, overridden.id);
    const plain = await runReaches(server, id, (await startRun(server, id)).id);

    // Assess
    expect(first.status).toBe('succeeded');
    expect(await taskLog(server, id, first.tasks[0].name)).toEqual(['run says bonjour world']);
    expect(plain.status).toBe('succeeded');
    expect(await taskLog(server, id, plain.tasks[0].name)).toEqual(['job says hello world']);
    const job = await getJob(server, 'overridden');
    expect(job.spec.command).toBe('echo "job says $GREETING $TARGET"');
    expect(job.spec.environment_variables).toEqual({ GREETING: 'hello', TARGET: 'world' });
  });

  it('is started by POST /api/jobs/{id}/start too, with its overrides, answering with the recipe and the run in Location', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'saturn-start', command: 'echo from the job' });

    // Act
    const response = await server.api('POST', `/api/jobs/${id}/start`, { command: 'echo from start' });

    // Assess
    expect(response.status, response.text).toBe(200);
    expect(response.json.spec.name).toBe('saturn-start');
    const runId = /^\/api\/jobs\/[0-9a-f]{32}\/runs\/([0-9a-f]{32})$/.exec(response.headers.location ?? '')?.[1];
    expect(runId, response.headers.location).toBeDefined();
    const run = await runReaches(server, id, runId!);
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'api', attempt: 1 });
    expect(await taskLog(server, id, run.tasks[0].name)).toEqual(['from start']);
    expect((await listRuns(server, id)).map((r: Json) => r.id)).toEqual([run.id]);
  });

  it('lists every run of the job, newest first', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'listed', command: 'true' });
    const started: string[] = [];
    for (let i = 0; i < 3; i++) started.push((await startRun(server, id)).id);

    // Act
    const runs = await listRuns(server, id);

    // Assess
    expect(runs.map((r: Json) => r.id)).toEqual([...started].reverse());
  });
});

describe.concurrent('Idempotency-Key', () => {
  it('returns the same run for a repeated request with the same key, and starts a new run for another key', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'keyed', command: 'true' });
    const first = await startRun(server, id, {}, { 'Idempotency-Key': 'nightly-2024-01-01' });

    // Act
    const repeated = await startRun(server, id, {}, { 'Idempotency-Key': 'nightly-2024-01-01' });
    const other = await startRun(server, id, {}, { 'Idempotency-Key': 'nightly-2024-01-02' });

    // Assess
    expect(repeated.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    await runReaches(server, id, other.id);
    expect((await listRuns(server, id)).map((r: Json) => r.id).sort()).toEqual([first.id, other.id].sort());
  });

  it('starts exactly one run for ten racing requests with one key', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'raced', command: 'true' });

    // Act
    const responses = await Promise.all(Array.from({ length: 10 }, () => server.api('POST', `/api/jobs/${id}/runs`, {}, { 'Idempotency-Key': 'one-key' })));

    // Assess
    for (const response of responses) expect(response.status, response.text).toBe(202);
    const ids = new Set(responses.map((r) => r.json.run.id));
    expect(ids.size).toBe(1);
    const [runId] = ids;
    await runReaches(server, id, runId!);
    expect((await listRuns(server, id)).map((r: Json) => r.id)).toEqual([runId]);
  });
});

describe.concurrent('retries and timeouts', () => {
  it('retries a failed run once after a 10 s backoff, as a new run with trigger retry and attempt 2, and no more', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'retried', command: 'exit 1', retries: 1 });

    // Act
    const first = await runReaches(server, id, (await startRun(server, id)).id);
    const queuedRetry = await waitUntil('a retry to be queued', () => listRuns(server, id), (runs) => runs.length === 2).then((runs) => runs[0]);
    const retry = await runReaches(server, id, queuedRetry.id, undefined, FIRST_BACKOFF_MS + 15_000);
    await jobReaches(server, 'retried', 'stopped');

    // Assess
    expect(first).toMatchObject({ status: 'failed', trigger: 'api', attempt: 1, exit_code: 1 });
    expect(queuedRetry).toMatchObject({ status: 'queued', trigger: 'retry', attempt: 2 });
    expect(Date.parse(queuedRetry.not_before) - Date.parse(first.finished_at)).toBeGreaterThanOrEqual(FIRST_BACKOFF_MS);
    expect(Date.parse(queuedRetry.not_before) - Date.parse(first.finished_at)).toBeLessThan(FIRST_BACKOFF_MS + 3_000);
    expect(retry).toMatchObject({ status: 'failed', trigger: 'retry', attempt: 2, exit_code: 1 });
    expect(Date.parse(retry.started_at) - Date.parse(first.finished_at)).toBeGreaterThanOrEqual(FIRST_BACKOFF_MS);
    expect((await listRuns(server, id)).map((r: Json) => [r.id, r.attempt])).toEqual([
      [retry.id, 2],
      [first.id, 1],
    ]);
  }, 40_000);

  it('ends a run that outlives its timeout as timed_out within seconds, and never retries it', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'too-slow', command: LONG_COMMAND, timeout: 2, retries: 2 });
    const { run: running, pid } = await runningRun(server, id);

    // Act
    const run = await runReaches(server, id, running.id);
    await tasksExited(server, id, run.id);
    const job = await jobReaches(server, 'too-slow', 'stopped');

    // Assess
    expect(run.status).toBe('timed_out');
    expect(run.reason).toMatch(/timed out after 2 s/);
    const lasted = Date.parse(run.finished_at) - Date.parse(run.started_at);
    expect(lasted).toBeGreaterThanOrEqual(2_000);
    expect(lasted).toBeLessThan(5_000);
    expect(await processEnds(pid)).toBe(true);
    expect(job.state.last_run).toMatchObject({ id: run.id, status: 'timed_out' });
    expect((await listRuns(server, id)).map((r: Json) => r.id)).toEqual([run.id]);
  });
});

describe.concurrent('cancelling', () => {
  it('cancels one run with POST /api/jobs/{id}/stop/{run_id}: its process is gone and it is not retried', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'cancelled', command: LONG_COMMAND, retries: 1 });
    const { run: running, pid } = await runningRun(server, id);
    expect(processRuns(pid)).toBe(true);

    // Act
    const response = await server.api('POST', `/api/jobs/${id}/stop/${running.id}`);

    // Assess
    expect(response.status, response.text).toBe(200);
    expect(response.json.run.status).toBe('cancelled');
    const run = await tasksExited(server, id, running.id);
    expect(run.status).toBe('cancelled');
    expect(run.reason).toMatch(/admin/);
    expect(await processEnds(pid)).toBe(true);
    await jobReaches(server, 'cancelled', 'stopped');
    expect((await listRuns(server, id)).map((r: Json) => r.id)).toEqual([running.id]);
  });

  it('cancels the active run when the job is stopped, and the job becomes stopped', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'job-stopped', command: LONG_COMMAND });
    const { run: running, pid } = await runningRun(server, id);

    // Act
    const response = await server.api('POST', `/api/jobs/${id}/stop`);

    // Assess
    expect(response.status, response.text).toBe(200);
    expect(['stopping', 'stopped']).toContain(response.json.state.status);
    const run = await tasksExited(server, id, running.id);
    expect(run.status).toBe('cancelled');
    expect(run.reason).toMatch(/stopped/);
    expect(await processEnds(pid)).toBe(true);
    await jobReaches(server, 'job-stopped', 'stopped');
  });

  it('cancels the running run of a job that is deleted', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'job-deleted', command: LONG_COMMAND });
    const { run: running, pid } = await runningRun(server, id);

    // Act
    const response = await server.api('DELETE', `/api/jobs/${id}`);

    // Assess
    expect(response.status).toBe(204);
    const run = await tasksExited(server, id, running.id);
    expect(run.status).toBe('cancelled');
    expect(run.reason).toMatch(/deleted/);
    expect(await processEnds(pid)).toBe(true);
  });
});

describe.concurrent('a job with scale', () => {
  it('runs one task per rank, each told its rank, the scale, the leader and the run, each with a HOME of its own', async () => {
    // Prepare
    const id = await applyJob(server, {
      name: 'scaled',
      scale: 3,
      command: 'echo "rank=$SATURN_JOB_RANK scale=$SATURN_JOB_SCALE leader=$SATURN_JOB_LEADER run=$SATURN_JOB_RUN"; echo "home=$HOME"',
    });

    // Act
    const run = await runReaches(server, id, (await startRun(server, id)).id);

    // Assess
    expect(run.status).toBe('succeeded');
    expect(run.tasks.map((t: Json) => t.rank).sort()).toEqual([0, 1, 2]);
    expect(new Set(run.tasks.map((t: Json) => t.name)).size).toBe(3);
    for (const task of run.tasks) {
      const [told, home] = await taskLog(server, id, task.name);
      expect(told).toMatch(new RegExp(`^rank=${task.rank} scale=3 leader=(localhost|127\\.0\\.0\\.1) run=${run.id}$`));
      expect(home).toBe(`home=${taskHome(server, task.name)}`);
    }
  });

  it('fails the run as soon as one rank fails, and stops the other ranks', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'one-rank-fails', scale: 3, command: 'if [ "$SATURN_JOB_RANK" = 1 ]; then exit 7; fi; sleep 30' });

    // Act
    const started = await startRun(server, id);
    const failed = await runReaches(server, id, started.id);
    const run = await tasksExited(server, id, started.id);

    // Assess
    expect(failed).toMatchObject({ status: 'failed', exit_code: 7 });
    expect(failed.reason).toMatch(/^task 1: .*code 7/);
    expect(Date.parse(run.finished_at) - Date.parse(run.started_at)).toBeLessThan(5_000);
    expect(run.tasks.find((t: Json) => t.rank === 1).exit_code).toBe(7);
    expect(run.tasks.filter((t: Json) => t.rank !== 1).every((t: Json) => t.exit_code === undefined)).toBe(true);
  });
});

describe.concurrent('pods', () => {
  it('shows the tasks of the runs going on in /runtimesummary, and every task in /history, newest first', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'podded', scale: 2, command: 'sleep 30' });
    const done = await runReaches(server, id, (await startRun(server, id, { command: 'true' })).id);
    const running = await runReaches(server, id, (await startRun(server, id)).id, ['running']);

    // Act: the pod views are projections of the runs, caught up within moments.
    const summary = await waitUntil(
      'the running tasks to be in /runtimesummary',
      () => server.api('GET', `/api/jobs/${id}/runtimesummary`),
      (r) => r.json.pod_summaries.length === 2 && r.json.pod_summaries.every((p: Json) => p.status === 'running'),
    );
    const history = await waitUntil(
      'the tasks to be in /history',
      () => server.api('GET', `/api/jobs/${id}/history`),
      (r) => r.json.pods.length === 4 && r.json.pods[0].status === 'running' && r.json.pods[3].status === 'succeeded',
    );
    await server.api('POST', `/api/jobs/${id}/stop/${running.id}`);
    await tasksExited(server, id, running.id);
    const summaryAfter = await waitUntil(
      'the ended tasks to leave /runtimesummary',
      () => server.api('GET', `/api/jobs/${id}/runtimesummary`),
      (r) => r.json.pod_summaries.length === 0,
    );

    // Assess
    expect(summary.status).toBe(200);
    const runningNames = running.tasks.map((t: Json) => t.name).sort();
    expect(summary.json.pod_summaries.map((p: Json) => p.name).sort()).toEqual(runningNames);
    for (const pod of summary.json.pod_summaries) {
      expect(pod).toEqual({ name: pod.name, status: 'running', started_at: expect.stringMatching(ISO_TIME), completed_at: null, labels: { run: running.id } });
    }
    expect(history.status).toBe(200);
    const pods = history.json.pods;
    expect(pods.map((p: Json) => p.pod_name)).toEqual([...running.tasks, ...done.tasks].map((t: Json) => t.name));
    for (const pod of pods.slice(0, 2)) expect(pod).toMatchObject({ status: 'running', start_time: expect.stringMatching(ISO_TIME), end_time: null });
    for (const pod of pods.slice(2)) {
      expect(pod).toMatchObject({ status: 'succeeded', start_time: expect.stringMatching(ISO_TIME), end_time: expect.stringMatching(ISO_TIME), last_seen: expect.stringMatching(ISO_TIME) });
    }
    expect(summaryAfter.json.pod_summaries).toEqual([]);
  });
  it("answers a pod's runtime summary as `SaturnConnection.get_logs` reads it for live logs: the preparation as an init container, the command as main", async () => {
    // Prepare: a config file makes a preparation step, whose lines come before the command's.
    const id = await applyJob(server, {
      name: 'summarized',
      command: 'echo from the command; echo to stderr >&2; exit 3',
      config_files: { '/home/jovyan/.config/summary': { content: 'x', mode: '0600' } },
    });
    const ended = await runReaches(server, id, (await startRun(server, id)).id);
    const live = await runReaches(server, id, (await startRun(server, id, { command: 'echo waiting; sleep 30' })).id, ['running']);
    const { as } = await signUpUsers(server, ['pod-stranger']);

    // Act
    const endedPod = ended.tasks[0].name;
    const summary = (await server.api('GET', `/api/pod/namespace/main-namespace/name/${endedPod}/runtimesummary`)).json;
    const livePod = live.tasks[0].name;
    const liveSummary = await waitUntil(
      'the live pod to log',
      async () => (await server.api('GET', `/api/pod/namespace/main-namespace/name/${livePod}/runtimesummary`)).json,
      (s) => s.container_summaries[0].logs.includes('waiting'),
    );

    // Assess
    expect(summary).toEqual({
      name: endedPod,
      status: 'failed',
      labels: { 'saturncloud.io/resource-id': id, run: ended.id },
      container_summaries: [
        { name: 'main', status: 'terminated', logs: expect.any(String), started_at: expect.stringMatching(ISO_TIME), finished_at: expect.stringMatching(ISO_TIME), exit_code: 3 },
      ],
      init_container_summaries: [
        { name: 'prepare', status: 'terminated', logs: expect.stringContaining('config file /home/jovyan/.config/summary'), started_at: expect.stringMatching(ISO_TIME), finished_at: null, exit_code: 0 },
      ],
    });
    const main = summary.container_summaries[0].logs.split('\n');
    expect(main).toEqual(expect.arrayContaining(['from the command', 'to stderr']));
    expect(main[0]).toMatch(/^started: pid/);
    expect(summary.init_container_summaries[0].logs).not.toContain('from the command');
    expect(liveSummary).toMatchObject({ status: 'running', container_summaries: [{ name: 'main', status: 'running', finished_at: null, exit_code: null }] });
    // 404 for a pod the caller may not see, and for a pod that does not exist.
    await as('pod-stranger', 'GET', `/api/pod/namespace/main-namespace/name/${endedPod}/runtimesummary`, undefined, 404);
    expect((await server.api('GET', `/api/pod/namespace/main-namespace/name/${'0'.repeat(32)}-0/runtimesummary`)).status).toBe(404);
    expect((await server.api('GET', '/api/pod/namespace/main-namespace/name/no-such-pod/runtimesummary')).status).toBe(404);
    await server.api('POST', `/api/jobs/${id}/stop/${live.id}`);
  });
});
