/**
 * A queue that catches what a Lambda, a rule, a schedule or a pipe could not deliver: encrypted,
 * TLS only, kept 14 days, watched by the alarms. It is itself the end of the line, which is
 * why cdk-nag's "needs a dead-letter queue" finding is acknowledged here.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
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
