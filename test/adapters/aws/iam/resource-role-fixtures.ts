/**
 * Two users' resources rendered as the platform renders their task definitions: Alice's
 * workspace (its home, a read-only shared folder, a secret, a deploy key, its SATURN_TOKEN
 * secret) and Bob's job (his own folder and secret). What the per-resource roles of one may do
 * is read off its definition; the other's must never appear in it.
 */
import { serviceTaskDefinitionInput, taskDefinitionInput, type TaskDefinitionParams } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import type { RoleGrantSettings } from '../../../../shared/adapters/aws/iam/resource-role-policies.ts';
import { sizeNamed, type Size } from '../../../../shared/domain/sizes.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const FILE_SYSTEM = 'fs-0123456789abcdef0';
export const ALICE_RESOURCE = 'ab'.repeat(12) + '00000001';
export const BOB_RESOURCE = 'cd'.repeat(12) + '00000001';
export const ALICE_HOME = 'fsap-0aaaaaaaaaaaaaaa1';
export const ALICE_FOLDER = 'fsap-0aaaaaaaaaaaaaaa2';
export const BOB_FOLDER = 'fsap-0bbbbbbbbbbbbbbb1';
const secretArn = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:cassini/${name}`;
export const ALICE_SECRET = secretArn('alice/db-AbC123');
export const ALICE_DEPLOY_KEY = secretArn('alice/deploy-key-QwE456');
export const ALICE_TOKEN_SECRET = secretArn(`_tasks/cassini-${ALICE_RESOURCE}-r3-ZxC789`);
export const BOB_SECRET = secretArn('bob/api-key-XyZ789');
const CACHE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;

export const settings: RoleGrantSettings = { partition: 'aws', region: REGION, account: ACCOUNT, execLogGroup: '/cassini/exec', tasksBucket: 'cassini-tasks', cachePrefixes: ['cassini-ecr-public', 'cassini-quay'] };

const params: TaskDefinitionParams = {
  image: 'public.ecr.aws/saturncloud/saturn-python:2024.08.01',
  size: sizeNamed('medium') as Size,
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/shared-execution`,
  taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/cassini-workloads/platform/default`,
  logGroup: '/cassini/tasks',
  region: REGION,
  attachmentSettings: { secretArnPrefix: secretArn(''), gitImage: 'alpine/git:2.45.2', fileSystemId: FILE_SYSTEM },
  imageCache: { registry: CACHE, prefixes: { 'public.ecr.aws': 'cassini-ecr-public', 'docker.io': 'cassini-docker-hub' } },
};

/** Alice's workspace revision 3. */
export const aliceWorkspace = serviceTaskDefinitionInput(
  {
    ...params,
    attachments: {
      secrets: [{ owner: 'alice', name: 'db', as: 'environment_variable', variable: 'DB_URL' }],
      gitRepositories: [{ url: 'git@github.com:alice/analysis.git', path: 'analysis', onRestart: 'reclone', deployKey: { owner: 'alice', name: 'deploy-key' } }],
      sharedFolders: [{ owner: 'team', name: 'data', path: 'shared/data', readOnly: true, accessPointId: ALICE_FOLDER }],
      secretArns: { 'alice/db': ALICE_SECRET, 'alice/deploy-key': ALICE_DEPLOY_KEY },
      platformTokenSecretArn: ALICE_TOKEN_SECRET,
    },
  },
  { family: `cassini-${ALICE_RESOURCE}-r3`, script: 'jupyter lab', environment: [], ports: [8888], home: { fileSystemId: FILE_SYSTEM, accessPointId: ALICE_HOME } },
);

/** Bob's job: his own writable folder and his secret. */
export const bobJob = taskDefinitionInput({
  ...params,
  image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/bob/trainer:1.2`,
  attachments: {
    secrets: [{ owner: 'bob', name: 'api-key', as: 'file', path: '.config/key' }],
    sharedFolders: [{ owner: 'bob', name: 'scratch', path: 'scratch', readOnly: false, accessPointId: BOB_FOLDER }],
    secretArns: { 'bob/api-key': BOB_SECRET },
  },
});
