/**
 * A queue that catches what a Lambda, a rule, a schedule or a pipe could not deliver: encrypted,
 * TLS only, kept 14 days, watched by the alarms. It is itself the end of the line, which is
 * why cdk-nag's "needs a dead-letter queue" finding is acknowledged here.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Observability } from './constructs/observability.ts';

export function deadLetterQueue(scope: Construct, id: string, options: { catches: string; label: string; observability: Observability }): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: RemovalPolicy.DESTROY,
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of ${options.catches}; it needs none of its own.`,
  });
  options.observability.watchQueue(queue, options.label);
  return queue;
}

/**
 * Sends every asynchronous invocation of `fn` that still fails after Lambda's retries (the
 * event and the error) to `queue`, whose depth is alarmed. A rule's or a schedule's own
 * dead-letter queue catches only events it could not *deliver*; once Lambda accepted the event,
 * a function error is dropped unless the function has an on-failure destination ("Retaining
 * records of asynchronous invocations", AWS Lambda Developer Guide). Called for each caller of
 * the function (a function has one such configuration): the first call makes it.
 */
export function catchFailedInvocations(fn: lambda.IFunction, queue: sqs.IQueue): void {
  if (fn.node.tryFindChild('EventInvokeConfig')) return;
  fn.configureAsyncInvoke({ onFailure: new destinations.SqsDestination(queue), retryAttempts: ASYNC_RETRY_ATTEMPTS });
}

/** Lambda's default and maximum for asynchronous invocations: two retries after the first attempt. */
export const ASYNC_RETRY_ATTEMPTS = 2;
