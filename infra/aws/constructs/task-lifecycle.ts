/**
 * How the control plane learns what ECS did:
 *  - an EventBridge rule on "ECS Task State Change" events of the platform's cluster, for the
 *    function that appends run and replica events (`lastStatus`, `stopCode`,
 *    `containers[].exitCode`);
 *  - an EventBridge rule on "ECS Deployment State Change" events of the platform's services
 *    (`cassini-*` in the cluster), for the same function: a deployment or workspace revision
 *    rolled out, rolled back or failed;
 *  - a rule firing every minute for the reconciler, which compares what should run with what
 *    ECS says runs and repairs drift (a lost event, a reclaimed spot task).
 * Both functions come later: the rules exist now, without targets (they match and deliver
 * nothing), and `onTaskStateChange(fn)` / `reconcileWith(fn)` connect them, one line each,
 * with retries and this construct's dead-letter queue.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { catchFailedInvocations, deadLetterQueue } from '../dead-letter-queue.ts';
import type { Observability } from './observability.ts';
import { SERVICE_NAME_PREFIX } from './compute.ts';

export const RECONCILE_EVERY = Duration.minutes(1);

export interface TaskLifecycleProps {
  cluster: ecs.ICluster;
  observability: Observability;
}

export class TaskLifecycle extends Construct {
  readonly taskStateRule: events.Rule;
  readonly deploymentStateRule: events.Rule;
  readonly reconcileRule: events.Rule;
  /** Matches tasks of the cluster ECS could not start; its matches are alarmed (no target). */
  readonly taskStartFailuresRule: events.Rule;
  /** Events a target could not take after its retries. */
  readonly deadLetterQueue: sqs.Queue;
  /** Invocations the task-state function or the reconciler accepted and failed on after Lambda's retries. */
  readonly failedInvocations: sqs.Queue;

  constructor(scope: Construct, id: string, props: TaskLifecycleProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', { catches: 'the task-state, deployment-state and reconciler rules', label: 'Task lifecycle dead letters', observability: props.observability });
    this.failedInvocations = deadLetterQueue(this, 'FailedInvocations', {
      catches: 'the task-state and reconciler functions (their on-failure destination)',
      label: 'Task lifecycle failed invocations',
      observability: props.observability,
    });

    this.taskStateRule = new events.Rule(this, 'TaskStateChanged', {
      description: 'ECS task state changes of the Cassini cluster',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: [props.cluster.clusterArn] },
      },
    });
    this.deploymentStateRule = new events.Rule(this, 'DeploymentStateChanged', {
      description: 'ECS deployment state changes of the Cassini services',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        // Deployment events name their service, not the cluster: `…:service/<cluster>/cassini-<resource id>`.
        resources: events.Match.prefix(
          Stack.of(this).formatArn({ service: 'ecs', resource: 'service', resourceName: `${props.cluster.clusterName}/${SERVICE_NAME_PREFIX}` }),
        ),
      },
    });
    this.taskStartFailuresRule = new events.Rule(this, 'TasksFailedToStart', {
      description: 'ECS tasks of the Cassini cluster that failed to start (counted and alarmed)',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: [props.cluster.clusterArn], stopCode: ['TaskFailedToStart'] },
      },
    });
    props.observability.watchTaskStartFailures(this.taskStartFailuresRule);
    this.reconcileRule = new events.Rule(this, 'Reconcile', {
      description: 'Runs the Cassini reconciler every minute',
      schedule: events.Schedule.rate(RECONCILE_EVERY),
    });
  }

  /** Delivers every task state change of the cluster, and every deployment state change of its services, to `fn`. */
  onTaskStateChange(fn: lambda.IFunction): void {
    this.taskStateRule.addTarget(this.target(fn, Duration.hours(1)));
    this.deploymentStateRule.addTarget(this.target(fn, Duration.hours(1)));
  }

  /** Runs `fn` every minute; a tick older than two minutes is dropped, the next one does the same work. */
  reconcileWith(fn: lambda.IFunction): void {
    this.reconcileRule.addTarget(this.target(fn, Duration.minutes(2)));
  }

  private target(fn: lambda.IFunction, maxEventAge: Duration): eventTargets.LambdaFunction {
    // Rules invoke Lambda asynchronously: an error inside the function needs its own destination.
    catchFailedInvocations(fn, this.failedInvocations);
    return new eventTargets.LambdaFunction(fn, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8, maxEventAge });
  }
}
