/**
 * What the functions write for CloudWatch: Powertools' JSON log lines with the invocation's
 * context, and Embedded Metric Format lines flushed at the end of every invocation. Both go
 * straight to stdout/stderr (not through `console`), so the test captures those streams.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { METRICS_NAMESPACE, MetricUnit, observed, telemetryFor } from '../../functions/observability.ts';
import { handler as consumersHandler } from '../../functions/reactor/handler.ts';
import { handler as apiHandler } from '../../functions/api/handler.ts';
import { apiEvent } from './support/api-event.ts';

type Line = Record<string, unknown>;
interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

let written: string[] = [];

/** Every JSON line written to stdout or stderr since the test began. */
function lines(): Line[] {
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);
}

const emfLines = (): Emf[] => lines().filter((line): line is Emf => '_aws' in line);
const logLines = (): Line[] => lines().filter((line) => !('_aws' in line));

function lambdaContext(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: '2026/01/01/[$LATEST]abc',
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

beforeEach(() => {
  written = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('observed', () => {
  it('writes log lines as JSON with the service and the invocation context', async () => {
    // Prepare
    const telemetry = telemetryFor('example');
    const handler = observed(telemetry, async (event: { id: string }) => {
      telemetry.logger.info('did a thing', { thing: event.id });
      return 'ok';
    });

    // Act
    const result = await handler({ id: 't-1' }, lambdaContext('cassini-example'));

    // Assess
    expect(result).toBe('ok');
    const [line] = logLines();
    expect(line).toMatchObject({
      level: 'INFO',
      message: 'did a thing',
      service: 'example',
      thing: 't-1',
      function_name: 'cassini-example',
      function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      cold_start: expect.any(Boolean),
    });
    expect(Date.parse(line!.timestamp as string)).not.toBeNaN();
  });

  it('flushes the metrics a handler added as EMF in the Cassini namespace, with a cold start', async () => {
    // Prepare: Lambda sets the initialisation type; Powertools counts cold starts of on-demand ones only.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const telemetry = telemetryFor('example');
    const handler = observed(telemetry, async () => {
      telemetry.metrics.addMetric('ThingsDone', MetricUnit.Count, 3);
    });

    // Act
    await handler({}, lambdaContext('cassini-example'));

    // Assess
    const emf = emfLines();
    const things = emf.find((line) => 'ThingsDone' in line)!;
    expect(things).toMatchObject({ service: 'example', ThingsDone: 3 });
    expect(things._aws.CloudWatchMetrics[0]).toEqual({ Namespace: METRICS_NAMESPACE, Dimensions: [['service']], Metrics: [{ Name: 'ThingsDone', Unit: 'Count' }] });
    expect(emf.find((line) => 'ColdStart' in line)).toMatchObject({ ColdStart: 1, function_name: 'cassini-example' });
  });

  it('flushes the metrics even when the handler throws', async () => {
    // Prepare
    const telemetry = telemetryFor('example');
    const handler = observed(telemetry, async () => {
      telemetry.metrics.addMetric('Attempts', MetricUnit.Count, 1);
      throw new Error('boom');
    });

    // Act
    const outcome = handler({}, lambdaContext('cassini-example'));

    // Assess
    await expect(outcome).rejects.toThrow('boom');
    expect(emfLines().find((line) => 'Attempts' in line)).toMatchObject({ Attempts: 1 });
  });
});

describe('the functions', () => {
  it('consumers: counts the records of a batch it processed', async () => {
    // Prepare: a REMOVE record carries no batch, so nothing reaches DynamoDB.
    vi.stubEnv('EVENTS_TABLE', 'events');
    vi.stubEnv('VIEWS_TABLE', 'views');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('DASK_NAMESPACE_NAME', 'dask.cassini.internal');
    const event: DynamoDBStreamEvent = { Records: [{ eventName: 'REMOVE', dynamodb: { SequenceNumber: '1' } }] };

    // Act
    const result = await consumersHandler(event, lambdaContext('cassini-reactor'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const counted = emfLines().find((line) => 'RecordsProcessed' in line);
    expect(counted).toMatchObject({ service: 'reactor', RecordsProcessed: 1, RecordsFailed: 0 });
    expect(counted!._aws.CloudWatchMetrics[0]!.Namespace).toBe('Cassini');
  });

  it('api: logs an unexpected failure as JSON without the Authorization header', async () => {
    // Prepare: DynamoDB on a closed port, so reading the token's stream fails unexpectedly.
    vi.stubEnv('EVENTS_TABLE', 'events');
    vi.stubEnv('VIEWS_TABLE', 'views');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', 'http://127.0.0.1:9');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
    const secret = 'cas_this-is-a-secret-token-value';
    const event = apiEvent({ method: 'GET', path: '/api/user', headers: { authorization: `Bearer ${secret}` } });

    // Act
    const result = await apiHandler(event, lambdaContext('cassini-api'));

    // Assess
    expect(result.statusCode).toBe(500);
    expect(logLines()).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'unhandled error', service: 'api', route: '/api/user', method: 'GET' }));
    expect(written.join('')).not.toContain(secret);
    expect(written.join('')).not.toContain('this-is-a-secret');
  });
});
