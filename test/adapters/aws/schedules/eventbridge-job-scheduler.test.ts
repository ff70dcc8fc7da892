import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeJobScheduler, scheduleNames } from '../../../../shared/adapters/aws/schedules/eventbridge-job-scheduler.ts';
import { parseScheduleEvent } from '../../../../shared/adapters/aws/schedules/schedule-event.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';

const client = new SchedulerClient({ region: 'eu-west-1' });
const scheduler = mockClient(client);

const JOB_ID = '3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6';
const TARGET = 'arn:aws:lambda:eu-west-1:123456789012:function:cassini-schedule';
const ROLE = 'arn:aws:iam::123456789012:role/cassini-scheduler';
const DLQ = 'arn:aws:sqs:eu-west-1:123456789012:cassini-schedule-dlq';

const adapter = new EventBridgeJobScheduler({ client, groupName: 'cassini', targetArn: TARGET, roleArn: ROLE, deadLetterArn: DLQ });

/** The request Scheduler must receive for a schedule of JOB_ID, all but what differs per test. */
function expectedRequest(name: string, expression: string, extra: { cron: string; timeZone: string; state: 'ENABLED' | 'DISABLED' }) {
  return {
    Name: name,
    GroupName: 'cassini',
    Description: `Job ${JOB_ID}: ${extra.cron}`,
    ScheduleExpression: expression,
    ScheduleExpressionTimezone: extra.timeZone,
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: extra.state,
    Target: {
      Arn: TARGET,
      RoleArn: ROLE,
      Input: `{"job_id":"${JOB_ID}","scheduled_time":"<aws.scheduler.scheduled-time>"}`,
      RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: DLQ },
    },
    ActionAfterCompletion: 'NONE',
  };
}

function inputsOf<T>(command: abstract new (...args: never[]) => { input: T }): T[] {
  return scheduler.calls().flatMap((call) => {
    const sent = call.args[0] as unknown;
    return sent instanceof command ? [sent.input] : [];
  });
}

beforeEach(() => {
  scheduler.reset();
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/cassini/x' });
  scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/cassini/x' });
  scheduler.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: 'Schedule not found', Message: 'Schedule not found', $metadata: {} }));
});

describe('EventBridgeJobScheduler.put', () => {
  it('creates one schedule in the job time zone, firing the schedule Lambda with the job and the due time', async () => {
    // Act
    await adapter.put({ jobId: JOB_ID, schedule: '30 2 * * *', timeZone: 'Europe/Paris', suspended: false });

    // Assess
    expect(inputsOf(CreateScheduleCommand)).toEqual([
      expectedRequest(`job-${JOB_ID}`, 'cron(30 2 * * ? *)', { cron: '30 2 * * *', timeZone: 'Europe/Paris', state: 'ENABLED' }),
    ]);
    expect(inputsOf(UpdateScheduleCommand)).toEqual([]);
    // A job that had two expressions before has its second schedule removed.
    expect(inputsOf(DeleteScheduleCommand)).toEqual([{ Name: `job-${JOB_ID}-1`, GroupName: 'cassini' }]);
  });

  it('writes a suspended job as a disabled schedule', async () => {
    await adapter.put({ jobId: JOB_ID, schedule: '@hourly', timeZone: 'UTC', suspended: true });

    expect(inputsOf(CreateScheduleCommand)).toEqual([
      expectedRequest(`job-${JOB_ID}`, 'cron(0 * * * ? *)', { cron: '@hourly', timeZone: 'UTC', state: 'DISABLED' }),
    ]);
  });

  it('replaces an existing schedule with UpdateSchedule when CreateSchedule reports a conflict', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'Schedule already exists', Message: 'Schedule already exists', $metadata: {} }));

    // Act
    await adapter.put({ jobId: JOB_ID, schedule: '0 9 * * 1-5', timeZone: 'America/New_York', suspended: false });

    // Assess
    const expected = expectedRequest(`job-${JOB_ID}`, 'cron(0 9 ? * 2-6 *)', { cron: '0 9 * * 1-5', timeZone: 'America/New_York', state: 'ENABLED' });
    expect(inputsOf(CreateScheduleCommand)).toEqual([expected]);
    expect(inputsOf(UpdateScheduleCommand)).toEqual([expected]);
  });

  it('writes two schedules when cron means "this day of the month or this weekday", and deletes none', async () => {
    // Act
    await adapter.put({ jobId: JOB_ID, schedule: '0 0 1 * 0', timeZone: 'Asia/Tokyo', suspended: false });

    // Assess
    const extra = { cron: '0 0 1 * 0', timeZone: 'Asia/Tokyo', state: 'ENABLED' as const };
    expect(inputsOf(CreateScheduleCommand)).toEqual([
      expectedRequest(`job-${JOB_ID}`, 'cron(0 0 1 * ? *)', extra),
      expectedRequest(`job-${JOB_ID}-1`, 'cron(0 0 ? * 1 *)', extra),
    ]);
    expect(inputsOf(DeleteScheduleCommand)).toEqual([]);
  });

  it('writes the new schedule before deleting the now unused second one', async () => {
    await adapter.put({ jobId: JOB_ID, schedule: '15 * * * *', timeZone: 'UTC', suspended: false });

    const kinds = scheduler.calls().map((call) => (call.args[0] as object).constructor.name);
    expect(kinds).toEqual(['CreateScheduleCommand', 'DeleteScheduleCommand']);
  });

  it('passes on errors other than a conflict', async () => {
    scheduler.on(CreateScheduleCommand).rejects(new ValidationException({ message: 'Invalid time zone', Message: 'Invalid time zone', $metadata: {} }));

    await expect(adapter.put({ jobId: JOB_ID, schedule: '* * * * *', timeZone: 'Mars/Olympus', suspended: false })).rejects.toThrow('Invalid time zone');
    expect(inputsOf(UpdateScheduleCommand)).toEqual([]);
  });

  it('refuses a cron expression before calling Scheduler', async () => {
    await expect(adapter.put({ jobId: JOB_ID, schedule: 'every day', timeZone: 'UTC', suspended: false })).rejects.toThrow(/not a cron expression/);
    expect(scheduler.calls()).toHaveLength(0);
  });
});

describe('EventBridgeJobScheduler.remove', () => {
  it('deletes both possible schedules, treating missing ones as removed', async () => {
    scheduler.on(DeleteScheduleCommand, { Name: `job-${JOB_ID}` }).resolves({});

    await adapter.remove(JOB_ID);

    expect(inputsOf(DeleteScheduleCommand)).toEqual([
      { Name: `job-${JOB_ID}`, GroupName: 'cassini' },
      { Name: `job-${JOB_ID}-1`, GroupName: 'cassini' },
    ]);
  });

  it('passes on other errors', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(new ConflictException({ message: 'Schedule is being updated', Message: 'Schedule is being updated', $metadata: {} }));

    await expect(adapter.remove(JOB_ID)).rejects.toThrow('Schedule is being updated');
  });
});

describe('scheduleNames', () => {
  it('uses the prefix and the job id when they make a valid name', () => {
    expect(scheduleNames('abc', 'job-')).toEqual(['job-abc', 'job-abc-1']);
  });

  it('keeps names within 64 valid characters, unique per job id, for ids that would not fit', () => {
    const long = 'x'.repeat(80);
    const odd = 'team/nightly report';
    const names = [...scheduleNames(long), ...scheduleNames(`${long}y`), ...scheduleNames(odd)];

    for (const name of names) expect(name).toMatch(/^[0-9a-zA-Z_.-]{1,64}$/);
    expect(new Set(names).size).toBe(names.length);
    expect(scheduleNames(odd)[0]).toMatch(/^job-team_nightly_report-[0-9a-f]{16}$/);
  });

  it("never gives a job the name of another job's second schedule", () => {
    const [, second] = scheduleNames('nightly');
    const [first] = scheduleNames('nightly-1');

    expect(second).toBe('job-nightly-1');
    expect(first).not.toBe(second);
  });

  it('refuses a prefix that is not a valid name', () => {
    expect(() => new EventBridgeJobScheduler({ client, groupName: 'g', targetArn: TARGET, roleArn: ROLE, deadLetterArn: DLQ, namePrefix: 'jobs/' })).toThrow(/prefix/);
  });
});

describe('parseScheduleEvent', () => {
  it('reads the job id and the due time, in the platform timestamp form', () => {
    expect(parseScheduleEvent({ job_id: JOB_ID, scheduled_time: '2025-01-31T23:00:00Z' })).toEqual({ jobId: JOB_ID, scheduledFor: '2025-01-31T23:00:00.000Z' });
  });

  it('gives one spelling to one instant', () => {
    const a = parseScheduleEvent({ job_id: JOB_ID, scheduled_time: '2025-02-01T00:00:00+01:00' });
    const b = parseScheduleEvent({ job_id: JOB_ID, scheduled_time: '2025-01-31T23:00:00.000Z' });
    expect(a).toEqual(b);
  });

  it.each([
    ['no job id', { scheduled_time: '2025-01-31T23:00:00Z' }],
    ['an empty job id', { job_id: '', scheduled_time: '2025-01-31T23:00:00Z' }],
    ['the placeholder left unreplaced', { job_id: JOB_ID, scheduled_time: '<aws.scheduler.scheduled-time>' }],
    ['not an object', 'job'],
  ])('refuses %s', (_case, input) => {
    expect(() => parseScheduleEvent(input)).toThrow(ValidationError);
  });
});
