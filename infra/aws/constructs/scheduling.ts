/**
 * Job schedules: one EventBridge Scheduler schedule per scheduled job, all in one schedule
 * group, each with the job's time zone, a retry policy and this dead-letter queue. Schedules
 * are created at run time by the reactor (functions/reactor), not here; what they need is here:
 *  - the group,
 *  - the role Scheduler assumes to invoke the schedule-target Lambda and to write to the
 *    dead-letter queue (`connectTarget` adds the invoke permission once that Lambda exists),
 *  - `environment()`: the values a schedule-writing function needs,
 *  - `grantManageSchedules`: create/update/delete in this group, and `iam:PassRole` on this
 *    one role, to Scheduler only.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { catchFailedInvocations, deadLetterQueue } from '../dead-letter-queue.ts';
import { acknowledgeGrantedWildcard } from '../nag.ts';
import type { Observability } from './observability.ts';

export interface SchedulingProps {
  observability: Observability;
}

export class Scheduling extends Construct {
  readonly group: scheduler.ScheduleGroup;
  /** Assumed by EventBridge Scheduler for the platform's schedules only. */
  readonly schedulerRole: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  /** Ticks the schedule-target function accepted and failed on after Lambda's retries. */
  readonly failedInvocations: sqs.Queue;
  private target?: lambda.IFunction;

  /** Every schedule of the group. */
  get scheduleArns(): string {
    return Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.group.scheduleGroupName}/*` });
  }

  constructor(scope: Construct, id: string, props: SchedulingProps) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', { catches: 'the job schedules', label: 'Schedule dead letters', observability: props.observability });
    this.failedInvocations = deadLetterQueue(this, 'FailedInvocations', {
      catches: 'the schedule-target function (its on-failure destination)',
      label: 'Schedule ticks that failed',
      observability: props.observability,
    });

    props.observability.watchScheduler();
    const { account } = Stack.of(this);
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to start scheduled Cassini job runs',
      // Only schedules of this account and group may use it (confused-deputy protection).
      // Scheduler sets aws:SourceArn to the schedule *group* ARN, never to a schedule's own ARN
      // ("Cross-service confused deputy prevention", EventBridge Scheduler User Guide): a
      // condition on `schedule/<group>/*` matches no request, and no schedule could fire.
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': account, 'aws:SourceArn': this.group.scheduleGroupArn },
      }),
    });
    this.deadLetterQueue.grantSendMessages(this.schedulerRole);
  }

  /** Makes `fn` the target every job schedule invokes. One target: a second call is a mistake. */
  connectTarget(fn: lambda.IFunction): void {
    if (this.target) throw new Error('the schedules already have a target function');
    this.target = fn;
    // Scheduler invokes Lambda asynchronously: a tick the function fails on is kept, not lost.
    catchFailedInvocations(fn, this.failedInvocations);
    // The unqualified function only (grantInvoke would add every version, `arn:*`).
    this.schedulerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
  }

  /** What a function that writes schedules puts in each one. */
  environment(): Record<string, string> {
    if (!this.target) throw new Error('connectTarget first: schedules need their target function');
    return {
      SCHEDULE_GROUP: this.group.scheduleGroupName,
      SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
      SCHEDULE_TARGET_ARN: this.target.functionArn,
      SCHEDULE_DLQ_ARN: this.deadLetterQueue.queueArn,
    };
  }

  /** Lets `grantee` create, change and delete the schedules of this group (and hand Scheduler its role). */
  grantManageSchedules(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // What EventBridgeJobScheduler sends: it writes and deletes, it never reads a schedule back.
        actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
        resources: [this.scheduleArns],
      }),
    );
    acknowledgeGrantedWildcard(grantee, this.scheduleArns, 'One schedule per scheduled job, named at run time: the grant covers the schedules of the platform group and no other.');
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
  }
}

