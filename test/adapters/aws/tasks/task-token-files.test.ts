import { DescribeTaskDefinitionCommand, ECSClient, RunTaskCommand, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { DeleteObjectCommand, GetObjectTaggingCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsTaskDefinitions } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { EcsTaskLauncher } from '../../../../shared/adapters/aws/tasks/ecs-task-launcher.ts';
import { LaunchQueue } from '../../../../shared/adapters/aws/tasks/launch-queue.ts';
import { TaskTokenFiles } from '../../../../shared/adapters/aws/tasks/task-token-files.ts';
import { retireTaskToken } from '../../../../functions/task-state/handler.ts';
import { NotFoundError } from '../../../../shared/domain/errors.ts';
import type { TaskTokens } from '../../../../shared/ports/task-tokens.ts';
import type { TaskSpec } from '../../../../shared/ports/task-driver.ts';

const s3Client = new S3Client({ region: 'eu-west-1' });
const s3 = mockClient(s3Client);
const ecsClient = new ECSClient({ region: 'eu-west-1' });
const ecs = mockClient(ecsClient);

const BUCKET = 'cassini-tasks-1a2b3c';
const RUN_ID = '9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e';
const TASK_ID = `${RUN_ID}-0`;

function fakeTokens(users = ['ada']): TaskTokens & { issued: string[]; revoked: string[] } {
  const issued: string[] = [];
  const revoked: string[] = [];
  return {
    issued,
    revoked,
    async issue(owner, taskId) {
      if (!users.includes(owner)) throw new NotFoundError(`No user named ${owner}: a task token acts as a user.`);
      issued.push(`${owner}:${taskId}`);
      return { token: `csn_secret-${issued.length}`, id: `tok${issued.length}` };
    },
    async revoke(id) {
      revoked.push(id);
    },
  };
}

const preconditionFailed = () => new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'At least one of the pre-conditions you specified did not hold' });
const noSuchKey = () => new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' });

beforeEach(() => {
  s3.reset();
  ecs.reset();
});

describe('TaskTokenFiles', () => {
  it('writes the token as an encrypted env file, only if absent, tagged with the token id, and returns its ARN', async () => {
    // Prepare
    const tokens = fakeTokens();
    s3.on(PutObjectCommand).resolves({});

    // Act
    const file = await new TaskTokenFiles({ client: s3Client, bucket: BUCKET, tokens }).write('ada', TASK_ID);

    // Assess
    expect(file).toEqual({ arn: `arn:aws:s3:::${BUCKET}/tokens/${TASK_ID}.env`, tokenId: 'tok1' });
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: BUCKET,
        Key: `tokens/${TASK_ID}.env`,
        Body: 'SATURN_TOKEN=csn_secret-1\n',
        ContentType: 'text/plain',
        ServerSideEncryption: 'AES256',
        Tagging: 'cassini%3Atoken-id=tok1',
        IfNoneMatch: '*',
      },
    ]);
    expect(tokens.issued).toEqual([`ada:${TASK_ID}`]);
  });

  it('keeps the file an earlier launch of the task wrote and revokes the token it did not store', async () => {
    const tokens = fakeTokens();
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'cassini:token-id', Value: 'tok0' }] });

    const file = await new TaskTokenFiles({ client: s3Client, bucket: BUCKET, tokens }).write('ada', TASK_ID);

    expect(file.tokenId).toBe('tok0');
    expect(tokens.revoked).toEqual(['tok1']);
  });

  it('revokes the token it was told of and deletes the file, without reading the tag', async () => {
    const tokens = fakeTokens();
    s3.on(DeleteObjectCommand).resolves({});

    await new TaskTokenFiles({ client: s3Client, bucket: BUCKET, tokens }).remove(TASK_ID, 'tok7');

    expect(tokens.revoked).toEqual(['tok7']);
    expect(s3.commandCalls(GetObjectTaggingCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: BUCKET, Key: `tokens/${TASK_ID}.env` }]);
  });

  it('reads the token id from the file\'s tag when the task is gone, and finds nothing to revoke once the file is', async () => {
    const tokens = fakeTokens();
    s3.on(GetObjectTaggingCommand).resolvesOnce({ TagSet: [{ Key: 'cassini:token-id', Value: 'tok3' }] }).rejects(noSuchKey());
    s3.on(DeleteObjectCommand).resolves({});
    const files = new TaskTokenFiles({ client: s3Client, bucket: BUCKET, tokens });

    await files.remove(TASK_ID);
    await files.remove(TASK_ID);

    expect(tokens.revoked).toEqual(['tok3']);
    expect(s3.commandCalls(GetObjectTaggingCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: `tokens/${TASK_ID}.env` });
  });

  it('refuses a task id that would leave the tokens folder', () => {
    expect(() => new TaskTokenFiles({ client: s3Client, bucket: BUCKET, tokens: fakeTokens() }).keyFor('../x')).toThrow(/cannot name a token file/);
  });
});

describe('EcsTaskLauncher with token files', () => {
  const spec: TaskSpec = { taskId: TASK_ID, group: RUN_ID, command: 'python train.py', environment: { SATURN_JOB_RANK: '0' }, labels: { run: RUN_ID } };

  function launcher(tokens: TaskTokens, logged: string[] = []) {
    const definitions = new EcsTaskDefinitions({ client: ecsClient, executionRoleArn: 'arn:aws:iam::123456789012:role/exec', taskRoleArn: 'arn:aws:iam::123456789012:role/task', logGroup: '/cassini/tasks', region: 'eu-west-1' });
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-0a1b2c3d4e5f:1', status: 'ACTIVE' } });
    return new EcsTaskLauncher({
      client: ecsClient,
      cluster: 'cassini',
      subnets: ['subnet-1'],
      securityGroups: ['sg-1'],
      definitions,
      gpuCapacityProviders: { 'g5.xlarge': 'gpu' },
      queue: new LaunchQueue({ clock: { now: () => 0, sleep: async () => {} }, random: () => 0.5, maxAttempts: 1 }),
      tokenFiles: new TaskTokenFiles({ client: s3Client, bucket: BUCKET, tokens }),
      log: { info: (message) => void logged.push(message), warn: (message) => void logged.push(message) },
    });
  }

  it('writes the task\'s token file before RunTask and names only the file and the token id in the overrides', async () => {
    // Prepare
    const tokens = fakeTokens();
    const order: string[] = [];
    s3.on(PutObjectCommand).callsFake(() => void order.push('PutObject'));
    ecs.on(RunTaskCommand).callsFake(() => (order.push('RunTask'), { tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/t0' }] }));

    // Act
    const [outcome] = await launcher(tokens).launch([spec], { image: 'python:3.12', instance_type: 'medium', spot: false, attachments: { platformTokenFor: 'ada' } });

    // Assess
    expect(outcome!.status).toBe('started');
    expect(order).toEqual(['PutObject', 'RunTask']);
    const input = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input as RunTaskCommandInput;
    expect(input.overrides!.containerOverrides).toEqual([
      {
        name: 'main',
        command: ['python train.py'],
        environment: [
          { name: 'SATURN_JOB_RANK', value: '0' },
          { name: 'PORT', value: '8000' },
          { name: 'CASSINI_TOKEN_ID', value: 'tok1' },
        ],
        environmentFiles: [{ value: `arn:aws:s3:::${BUCKET}/tokens/${TASK_ID}.env`, type: 's3' }],
      },
    ]);
    expect(JSON.stringify(input)).not.toContain('csn_secret');
  });

  it('gives a group-owned task no token, and says so', async () => {
    const logged: string[] = [];
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/t0' }] });

    await launcher(fakeTokens(), logged).launch([spec], { image: 'python:3.12', instance_type: 'medium', spot: false, attachments: { platformTokenFor: 'data-team' } });

    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.overrides!.containerOverrides![0]!.environmentFiles).toBeUndefined();
    expect(logged).toEqual(['no SATURN_TOKEN: the owner is not a user, and a token acts as a user']);
  });

  it('revokes the token and deletes the file of a task that failed to start for good', async () => {
    const tokens = fakeTokens();
    s3.on(PutObjectCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'MISSING', detail: 'image not found' }] });

    const [outcome] = await launcher(tokens).launch([spec], { image: 'python:3.12', instance_type: 'medium', spot: false, attachments: { platformTokenFor: 'ada' } });

    expect(outcome!.status).toBe('failed');
    expect(tokens.revoked).toEqual(['tok1']);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: BUCKET, Key: `tokens/${TASK_ID}.env` }]);
  });
});

describe('retireTaskToken (task-state)', () => {
  const task = (lastStatus: string) => ({
    taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/t0',
    group: `run:${RUN_ID}`,
    startedBy: RUN_ID,
    lastStatus,
    overrides: { containerOverrides: [{ name: 'main', environment: [{ name: 'SATURN_JOB_RANK', value: '0' }, { name: 'CASSINI_TOKEN_ID', value: 'tok5' }] }] },
  });

  it('revokes a stopped task\'s token by the id in its overrides and deletes its file', async () => {
    const tokens = fakeTokens();
    s3.on(DeleteObjectCommand).resolves({});

    const retired = await retireTaskToken(task('STOPPED'), new TaskTokenFiles({ client: s3Client, bucket: BUCKET, tokens }));

    expect(retired).toBe(true);
    expect(tokens.revoked).toEqual(['tok5']);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: BUCKET, Key: `tokens/${TASK_ID}.env` }]);
  });

  it('leaves a running task\'s token alone', async () => {
    const tokens = fakeTokens();

    expect(await retireTaskToken(task('RUNNING'), new TaskTokenFiles({ client: s3Client, bucket: BUCKET, tokens }))).toBe(false);
    expect(tokens.revoked).toEqual([]);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });
});
