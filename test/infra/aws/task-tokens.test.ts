/**
 * SATURN_TOKEN on AWS, as the stack provides for it: the tasks bucket that holds job tasks' token
 * files (private, encrypted, TLS only, expiring), who may write, read and delete them, and the
 * Secrets Manager grants for services' token secrets. The least-privilege test proves the actions
 * match the code; this one holds the resources.
 */
import { describe, expect, it } from 'vitest';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { TOKEN_FILE_EXPIRY_DAYS } from '../../../infra/aws/constructs/storage.ts';
import type { PlatformFunction } from '../../../infra/aws/platform-function.ts';
import { roleStatements } from './support/least-privilege.ts';
import { logicalId, synthCassini } from './support/synth.ts';

describe('task tokens on AWS (storage.ts, compute.ts)', () => {
  const s = synthCassini({});
  const { stack } = s;
  const template = Template.fromJSON(s.json);
  const bucketId = logicalId(stack.storage.tasksBucket);
  const env = (fn: PlatformFunction) => (s.json.Resources[logicalId(fn.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

  it('keeps token files in a private, encrypted bucket whose files expire as a backstop', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([{ Id: 'ExpireTokenFiles', Prefix: 'tokens/', ExpirationInDays: TOKEN_FILE_EXPIRY_DAYS, Status: 'Enabled' }]) },
    });
    expect(TOKEN_FILE_EXPIRY_DAYS).toBeGreaterThanOrEqual(1);
    expect(TOKEN_FILE_EXPIRY_DAYS).toBeLessThanOrEqual(2);
  });

  it('refuses every request to the bucket that is not over TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('tells the launching and task-state functions the bucket', () => {
    for (const fn of [stack.reactor, stack.reconciler, stack.taskState]) expect(env(fn)).toMatchObject({ TASKS_BUCKET: { Ref: bucketId } });
    for (const fn of [stack.reactor, stack.reconciler]) expect(env(fn)).toMatchObject({ SECRET_PREFIX: 'cassini/' });
  });

  const s3Statements = (roleId: string) =>
    roleStatements(s.json.Resources, roleId)
      .filter((st) => [st.Action].flat().some((a) => a.startsWith('s3:')))
      .map((st) => ({ ...st, Action: [st.Action].flat().sort() }));
  const tokenFiles = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/tokens/*']] };

  it('lets the execution role read token files only, and find the bucket', () => {
    expect(s3Statements(logicalId(stack.compute.executionRole)).map((st) => [st.Action, st.Resource])).toEqual([
      [['s3:GetObject'], tokenFiles],
      [['s3:GetBucketLocation'], { 'Fn::GetAtt': [bucketId, 'Arn'] }],
    ]);
  });

  it('lets the launchers write and delete token files, and the task-state function only delete them', () => {
    for (const fn of [stack.reactor, stack.reconciler]) {
      expect(s3Statements(logicalId(fn.role)).map((st) => [st.Action, st.Resource])).toEqual([[['s3:DeleteObject', 's3:GetObjectTagging', 's3:PutObject', 's3:PutObjectTagging'], tokenFiles]]);
    }
    expect(s3Statements(logicalId(stack.taskState.role)).map((st) => [st.Action, st.Resource])).toEqual([[['s3:DeleteObject', 's3:GetObjectTagging'], tokenFiles]]);
  });

  it('lets the reactor create and delete secrets under cassini/_tasks/ only, and describe (never read) the platform\'s', () => {
    const secrets = roleStatements(s.json.Resources, logicalId(stack.reactor.role)).filter((st) => [st.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    const resources = secrets.map((st) => [[st.Action].flat().sort(), JSON.stringify(st.Resource)]);
    expect(resources).toEqual([
      [['secretsmanager:DescribeSecret'], expect.stringMatching(/:secret:cassini\/\*"/)],
      [['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:TagResource'], expect.stringMatching(/:secret:cassini\/_tasks\/\*"/)],
    ]);
  });
});
