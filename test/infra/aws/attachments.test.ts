/**
 * Attachments on AWS, as the stack provides for them: where launching functions find tasks'
 * secrets and the git image, the shared-folder grants (creating only tagged access points), and
 * the file system policy, which allows no role anything (each resource's own task role does).
 * The least-privilege test proves the actions match the code; this one holds resources and conditions.
 */
import { describe, expect, it } from 'vitest';
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { PlatformFunction } from '../../../infra/aws/platform-function.ts';
import { roleStatements } from './support/least-privilege.ts';
import { logicalId, synthCassini } from './support/synth.ts';

describe('attachments on AWS (compute.ts, storage.ts)', () => {
  const s = synthCassini({ gitImage: 'public.ecr.aws/acme/git:2.45' });
  const { stack } = s;
  const env = (fn: PlatformFunction) => (s.json.Resources[logicalId(fn.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

  it('tells the launching functions the ARN prefix of the platform secrets, the git image and the file system', () => {
    const prefix = stack.resolve(Stack.of(stack).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: 'cassini/', arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
    for (const fn of [stack.reactor, stack.reconciler]) {
      expect(env(fn)).toMatchObject({ TASK_SECRET_ARN_PREFIX: prefix, GIT_IMAGE: 'public.ecr.aws/acme/git:2.45', FILE_SYSTEM_ID: { Ref: logicalId(stack.storage.fileSystem) } });
    }
  });

  it('lets the reactor create only access points tagged as shared folders, and delete only those or homes', () => {
    const statements = roleStatements(s.json.Resources, logicalId(stack.reactor.role));
    const creates = statements.filter((st) => st.Action === 'elasticfilesystem:CreateAccessPoint');
    expect(creates.map((st) => st.Condition)).toEqual(
      expect.arrayContaining([{ Null: { 'aws:RequestTag/cassini:shared-folder': 'false' } }, { Null: { 'aws:RequestTag/cassini:resource': 'false', 'aws:RequestTag/cassini:home': 'false' } }]),
    );
    const deletes = statements.filter((st) => st.Action === 'elasticfilesystem:DeleteAccessPoint');
    expect(deletes.map((st) => st.Condition)).toEqual(expect.arrayContaining([{ Null: { 'aws:ResourceTag/cassini:shared-folder': 'false' } }]));
    for (const st of deletes) expect(st.Condition).toBeDefined();
  });

  it('lets no role mount through the file system policy: registered roles are assumed by each resource\'s own task role, which names its access points', () => {
    const policy = s.json.Resources[logicalId(stack.storage.fileSystem)]!.Properties!.FileSystemPolicy as { Statement: Array<Record<string, unknown>> };
    expect(policy.Statement.filter((st) => st.Effect === 'Allow')).toEqual([]);
  });
});
