/**
 * Logs and metrics of every Lambda function, through Powertools for AWS Lambda.
 *
 * - Logs: one JSON object per line with `level`, `message`, `timestamp`, `service` (the
 *   function's name) and, inside an invocation, `function_request_id`, `function_name`,
 *   `cold_start` and `xray_trace_id`; attributes given to a call are keys of the same object.
 *   Powertools writes to stdout itself, so Lambda's JSON log format passes the line on as is.
 * - Metrics: CloudWatch Embedded Metric Format on stdout (no API calls, no IAM), namespace
 *   `Cassini`, dimension `service`, flushed when the invocation ends, with a `ColdStart` metric.
 *
 * Events are never logged: an API request carries its Authorization header, an authorizer
 * event its token. Handlers log only the attributes they name.
 */
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';

export { MetricUnit };

export const METRICS_NAMESPACE = 'Cassini';

/** What code shared with local mode logs through: Powertools' Logger on Lambda, {@link jsonConsole} elsewhere. */
export interface Log {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

function errorValue(value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}

function consoleLine(level: 'info' | 'warn' | 'error') {
  return function writeLine(message: string, attributes: Record<string, unknown> = {}): void {
    const fields = Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, errorValue(value)]));
    console[level](JSON.stringify({ level, message, ...fields }));
  };
}

/** One JSON line per entry on the console, for local mode and tools that run outside Lambda. */
export const jsonConsole: Log = { info: consoleLine('info'), warn: consoleLine('warn'), error: consoleLine('error') };

export interface Telemetry {
  logger: Logger;
  metrics: Metrics;
}

/** The logger and metrics of one function; `service` is its name (`api`, `projector`, ...). */
export function telemetryFor(service: string): Telemetry {
  return {
    logger: new Logger({ serviceName: service }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service }),
  };
}

/**
 * A Lambda handler wrapped in middy with the telemetry's middlewares: the logger learns the
 * invocation's context (and forgets keys a previous one appended), and the metrics the
 * handler added are flushed, with a cold-start metric, when it returns or throws.
 */
export function observed<TEvent, TResult>(telemetry: Telemetry, handler: (event: TEvent, context: Context) => Promise<TResult>) {
  return middy<TEvent, TResult>(handler)
    .use(injectLambdaContext(telemetry.logger, { resetKeys: true }))
    .use(logMetrics(telemetry.metrics, { captureColdStartMetric: true }));
}

/** Counts a stream batch's records: `RecordsProcessed`, and `RecordsFailed` (reported back for Lambda to retry). */
export function countStreamBatch(metrics: Metrics, event: DynamoDBStreamEvent, response: DynamoDBBatchResponse): void {
  const failed = response.batchItemFailures.length;
  metrics.addMetric('RecordsProcessed', MetricUnit.Count, event.Records.length - failed);
  metrics.addMetric('RecordsFailed', MetricUnit.Count, failed);
}
