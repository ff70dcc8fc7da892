/**
 * What each resource's own roles may do, read off its task definition: its access points, its
 * secrets, its images, its log group — never another resource's. Issue 11's "task roles' EFS
 * grants name access points; the execution role(s) cannot read other owners' secrets".
 */
import { describe, expect, it } from 'vitest';
import { definitionNeeds, ecrRepositoryOf, executionRolePolicy, revisionTokenSecrets, secretResource, taskRolePolicy, type PolicyDocument } from '../../../../shared/adapters/aws/iam/resource-role-policies.ts';
import {
  ACCOUNT,
  ALICE_DEPLOY_KEY,
  ALICE_FOLDER,
  ALICE_HOME,
  ALICE_RESOURCE,
  ALICE_SECRET,
  ALICE_TOKEN_SECRET,
  aliceWorkspace,
  BOB_FOLDER,
  BOB_SECRET,
  bobJob,
  FILE_SYSTEM,
  REGION,
  settings,
} from './resource-role-fixtures.ts';

const accessPoint = (id: string) => `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:access-point/${id}`;
const fileSystem = `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/${FILE_SYSTEM}`;
const statement = (policy: PolicyDocument, sid: string) => policy.Statement.find((s) => s.Sid === sid);

describe('definitionNeeds', () => {
  it('reads every access point with whether it is written, every secret, image and log group of the definition', () => {
    // Act
    const needs = definitionNeeds(aliceWorkspace);

    // Assess
    expect(needs.accessPoints).toEqual(
      expect.arrayContaining([
        { fileSystemId: FILE_SYSTEM, accessPointId: ALICE_HOME, write: true },
        { fileSystemId: FILE_SYSTEM, accessPointId: ALICE_FOLDER, write: false },
      ]),
    );
    expect(needs.accessPoints).toHaveLength(2);
    expect(needs.secretArns).toEqual([ALICE_TOKEN_SECRET, ALICE_DEPLOY_KEY, ALICE_SECRET].sort());
    expect(needs.images).toEqual([`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/cassini-ecr-public/saturncloud/saturn-python:2024.08.01`, `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/cassini-docker-hub/alpine/git:2.45.2`].sort());
    expect(needs.logGroups).toEqual(['/cassini/tasks']);
  });
});

describe('taskRolePolicy', () => {
  it('lets a task mount its own access points only, and write only those it mounts read-write', () => {
    // "Using IAM to control file system data access" (Amazon EFS User Guide): ClientMount,
    // ClientWrite on the file system; elasticfilesystem:AccessPointArn is the access point the
    // client connects through, so ArnEquals on it limits the role to the access points it names.
    // Act
    const policy = taskRolePolicy(definitionNeeds(aliceWorkspace), settings);

    // Assess
    expect(statement(policy, 'MountOwnAccessPoints')).toEqual({
      Sid: 'MountOwnAccessPoints',
      Effect: 'Allow',
      Action: ['elasticfilesystem:ClientMount'],
      Resource: [fileSystem],
      Condition: { ArnEquals: { 'elasticfilesystem:AccessPointArn': [accessPoint(ALICE_HOME), accessPoint(ALICE_FOLDER)].sort() } },
    });
    expect(statement(policy, 'WriteOwnAccessPoints')?.Condition).toEqual({ ArnEquals: { 'elasticfilesystem:AccessPointArn': [accessPoint(ALICE_HOME)] } });
    expect(policy.Statement.flatMap((s) => s.Action).filter((a) => a.startsWith('elasticfilesystem:')).sort()).toEqual(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
  });

  it('never names another resource\'s access point, nor any access point by wildcard', () => {
    const text = JSON.stringify(taskRolePolicy(definitionNeeds(aliceWorkspace), settings));
    expect(text).not.toContain(BOB_FOLDER);
    expect(text).not.toContain('access-point/*');
    expect(JSON.stringify(taskRolePolicy(definitionNeeds(bobJob), settings))).not.toContain(ALICE_HOME);
  });

  it('keeps ECS Exec working: the session channels and the session log', () => {
    const policy = taskRolePolicy(definitionNeeds(bobJob), settings);
    expect(statement(policy, 'ExecChannels')?.Action).toEqual(['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel']);
    expect(statement(policy, 'ExecSessionLogs')?.Resource).toBe(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/cassini/exec:log-stream:*`);
  });
});

describe('executionRolePolicy', () => {
  it('lets ECS read exactly the secrets the definition names: the owner\'s, the deploy key, the revision\'s token', () => {
    // "Pass sensitive data to an Amazon ECS container" (Amazon ECS Developer Guide): the task
    // execution role needs secretsmanager:GetSecretValue on each secret a container names.
    // Act
    const policy = executionRolePolicy(definitionNeeds(aliceWorkspace), settings, { tokenFiles: false });

    // Assess
    // The revision's token secret stands for every revision's of this resource: ECS may roll back to an older one.
    const tokenSecrets = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:cassini/_tasks/cassini-${ALICE_RESOURCE}-r*`;
    expect(statement(policy, 'ReadNamedSecrets')).toEqual({ Sid: 'ReadNamedSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [tokenSecrets, ALICE_DEPLOY_KEY, ALICE_SECRET].sort() });
    expect(ALICE_TOKEN_SECRET.startsWith(tokenSecrets.slice(0, -1))).toBe(true);
  });

  it('reaches no other resource\'s token secrets through the revision pattern', () => {
    // Resource ids are 32 hex characters: `cassini-<id>-r` is no other resource's prefix.
    expect(revisionTokenSecrets(ALICE_TOKEN_SECRET)).toMatch(new RegExp(`_tasks/cassini-${ALICE_RESOURCE}-r\\*$`));
    expect(revisionTokenSecrets(ALICE_SECRET)).toBe(ALICE_SECRET);
    // A user's own secret named like one stays under the user's path.
    const lookalike = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:cassini/alice/_tasks/cassini-${ALICE_RESOURCE}-r1-AbC123`;
    expect(revisionTokenSecrets(lookalike)).toBe(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:cassini/alice/_tasks/cassini-${ALICE_RESOURCE}-r*`);
  });

  it('cannot read another owner\'s secret, nor the platform prefix by wildcard', () => {
    const alice = JSON.stringify(executionRolePolicy(definitionNeeds(aliceWorkspace), settings, { tokenFiles: true }));
    expect(alice).not.toContain(BOB_SECRET);
    expect(alice).not.toContain('cassini/*');
    expect(alice).not.toContain('/bob/');
    expect(JSON.stringify(executionRolePolicy(definitionNeeds(bobJob), settings, { tokenFiles: true }))).not.toMatch(/alice/);
  });

  it('pulls only the repositories the definition names, importing only through the cache\'s prefixes', () => {
    // "IAM permissions required to sync an upstream registry with an Amazon ECR private registry"
    // (Amazon ECR User Guide): a pull through the cache may create the repository and import the image.
    const alice = executionRolePolicy(definitionNeeds(aliceWorkspace), settings, { tokenFiles: false });
    const repository = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
    expect(statement(alice, 'PullNamedImages')?.Resource).toEqual([repository('cassini-docker-hub/alpine/git'), repository('cassini-ecr-public/saturncloud/saturn-python')]);
    // Docker Hub has no rule in these settings: its repository is pulled, never created.
    expect(statement(alice, 'PullThroughCache')?.Resource).toEqual([repository('cassini-ecr-public/saturncloud/saturn-python')]);
    const bob = executionRolePolicy(definitionNeeds(bobJob), settings, { tokenFiles: true });
    expect(statement(bob, 'PullNamedImages')?.Resource).toEqual([repository('bob/trainer')]);
    expect(statement(bob, 'PullThroughCache')).toBeUndefined();
  });

  it('writes the definition\'s log group, and reads token files only for tasks that get one as an environment file', () => {
    const job = executionRolePolicy(definitionNeeds(bobJob), settings, { tokenFiles: true });
    expect(statement(job, 'WriteTaskLogs')?.Resource).toEqual([`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/cassini/tasks:*`]);
    expect(statement(job, 'ReadTokenFiles')?.Resource).toBe('arn:aws:s3:::cassini-tasks/tokens/*');
    expect(statement(executionRolePolicy(definitionNeeds(aliceWorkspace), settings, { tokenFiles: false }), 'ReadTokenFiles')).toBeUndefined();
  });
});

describe('secretResource and ecrRepositoryOf', () => {
  it('matches a partial secret ARN\'s own suffix and nothing longer', () => {
    // Secrets Manager appends `-` and six random characters to a secret's ARN.
    expect(secretResource('arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/alice/db')).toBe('arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/alice/db-??????');
    expect(secretResource(ALICE_SECRET)).toBe(ALICE_SECRET);
  });

  it('grants the secret a JSON key is read from, not a name with the key in it (a Dask cluster\'s TLS files)', () => {
    // ECS: `valueFrom` may be `<secret ARN>:<json-key>:<version-stage>:<version-id>`.
    const partial = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/alice/_dask-tls-0123';
    expect(secretResource(`${partial}:ca::`)).toBe(`${partial}-??????`);
    expect(secretResource(`${ALICE_SECRET}:key:AWSCURRENT:`)).toBe(ALICE_SECRET);
  });

  it('finds the repository of this account\'s images only, without tag or digest', () => {
    expect(ecrRepositoryOf(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app:1.0`, settings)).toBe('team/app');
    expect(ecrRepositoryOf(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app@sha256:${'a'.repeat(64)}`, settings)).toBe('team/app');
    expect(ecrRepositoryOf(`999999999999.dkr.ecr.${REGION}.amazonaws.com/team/app:1.0`, settings)).toBeUndefined();
    expect(ecrRepositoryOf('docker.io/library/python:3.12', settings)).toBeUndefined();
  });

  it('grants no wildcard for an image a user names with IAM\'s wildcard characters', () => {
    // A user chooses the image: `<registry>/*:x` must not become a pull grant on every repository.
    for (const image of [`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/*:latest`, `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/ap?:1`, `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/Team/App:1`]) {
      expect(ecrRepositoryOf(image, settings), image).toBeUndefined();
      const policy = executionRolePolicy({ secretArns: [], images: [image], logGroups: [] }, settings, { tokenFiles: false });
      expect(JSON.stringify(policy), image).not.toContain('repository/');
    }
  });
});
