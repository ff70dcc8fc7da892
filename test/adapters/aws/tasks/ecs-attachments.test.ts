import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientException, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { cloneScript, resolveAttachments, startupPrelude } from '../../../../shared/adapters/aws/tasks/ecs-attachments.ts';
import { EcsTaskDefinitions, taskDefinitionInput } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { sizeNamed, type Size } from '../../../../shared/domain/sizes.ts';
import type { TaskAttachments } from '../../../../shared/ports/task-driver.ts';

const client = new ECSClient({ region: 'eu-west-1' });
const ecs = mockClient(client);
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/cassini-task-execution';
const TASK_ROLE = 'arn:aws:iam::123456789012:role/cassini-workloads/default';
const ANALYTICS_ROLE = 'arn:aws:iam::123456789012:role/cassini-workloads/analytics';
const IMAGE = 'public.ecr.aws/saturncloud/saturn-python:2024.08.01';
const SECRETS = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/';
const FS = 'fs-0123456789abcdef0';
const settings = { secretArnPrefix: SECRETS, gitImage: 'alpine/git:2.45.2', fileSystemId: FS };
const defaults = { executionRoleArn: EXECUTION_ROLE, taskRoleArn: TASK_ROLE, logGroup: '/cassini/tasks', region: 'eu-west-1', attachmentSettings: settings };
const medium = sizeNamed('medium') as Size;

const attachments: TaskAttachments = {
  secrets: [
    { owner: 'ann', name: 'db-password', as: 'environment_variable', variable: 'DB_PASSWORD' },
    { owner: 'ml', name: 'gcp-key', as: 'file', path: '.config/gcp.json' },
  ],
  gitRepositories: [
    { url: 'git@github.com:acme/tools.git', path: '/home/jovyan/workspace/tools', reference: 'v1.2.0', referenceType: 'tag', onRestart: 'preserve changes', deployKey: { owner: 'ann', name: 'deploy-key' } },
  ],
  sharedFolders: [
    { owner: 'ml', name: 'datasets', path: '/home/jovyan/shared/ml/datasets', readOnly: true },
    { owner: 'ann', name: 'scratch', path: 'scratch', readOnly: false },
  ],
  taskRoleArn: ANALYTICS_ROLE,
  platformTokenFor: 'ann',
};
const accessPoints: Record<string, string> = { 'ml/datasets': 'fsap-00000000000000001', 'ann/scratch': 'fsap-00000000000000002' };
const folders = { ensure: async (ref: { owner: string; name: string }) => accessPoints[`${ref.owner}/${ref.name}`]! };

beforeEach(() => {
  ecs.reset();
});

describe('task definitions with attachments', () => {
  it('registers secrets by ARN, the git init container, the folders and the attached role', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family: string }) => ({ taskDefinition: { taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.family}:1` } }));
    const definitions = new EcsTaskDefinitions({ client, ...defaults });

    // Act
    const resolved = await resolveAttachments(attachments, { folders });
    await definitions.ensure({ image: IMAGE, size: medium, taskRoleArn: ANALYTICS_ROLE, ...(resolved ? { attachments: resolved } : {}) });

    // Assess
    const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    const family = input.family!;
    const logConfiguration = { logDriver: 'awslogs', options: { 'awslogs-group': '/cassini/tasks', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': family } };
    expect(input).toEqual({
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '2048',
      memory: '4096',
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      executionRoleArn: EXECUTION_ROLE,
      taskRoleArn: ANALYTICS_ROLE,
      containerDefinitions: [
        {
          name: 'git',
          image: 'alpine/git:2.45.2',
          essential: false,
          entryPoint: ['sh', '-c'],
          command: [expect.stringContaining("git clone --branch v1.2.0 git@github.com:acme/tools.git /cassini/git/0")],
          mountPoints: [{ sourceVolume: 'git-0', containerPath: '/cassini/git/0', readOnly: false }],
          secrets: [{ name: 'CASSINI_DEPLOY_KEY_0', valueFrom: `${SECRETS}ann/deploy-key` }],
          logConfiguration,
        },
        {
          name: 'main',
          image: IMAGE,
          essential: true,
          entryPoint: ['sh', '-c', expect.stringContaining('exec sh -c "$0"')],
          linuxParameters: { initProcessEnabled: true },
          logConfiguration,
          secrets: [
            { name: 'DB_PASSWORD', valueFrom: `${SECRETS}ann/db-password` },
            { name: 'CASSINI_SECRET_FILE_0', valueFrom: `${SECRETS}ml/gcp-key` },
          ],
          mountPoints: [
            { sourceVolume: 'folder-0', containerPath: '/home/jovyan/shared/ml/datasets', readOnly: true },
            { sourceVolume: 'folder-1', containerPath: '/home/jovyan/scratch', readOnly: false },
            { sourceVolume: 'git-0', containerPath: '/home/jovyan/workspace/tools', readOnly: false },
          ],
          dependsOn: [{ containerName: 'git', condition: 'SUCCESS' }],
        },
      ],
      volumes: [
        { name: 'folder-0', efsVolumeConfiguration: { fileSystemId: FS, rootDirectory: '/', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-00000000000000001', iam: 'ENABLED' } } },
        { name: 'folder-1', efsVolumeConfiguration: { fileSystemId: FS, rootDirectory: '/', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-00000000000000002', iam: 'ENABLED' } } },
        { name: 'git-0' },
      ],
    });
    // No secret value anywhere: only references.
    expect(JSON.stringify(input)).not.toMatch(/BEGIN|password=/);
  });

  it('keeps the definition of a task without attachments as it was, and gives changed attachments a family of their own', () => {
    const plain = taskDefinitionInput({ ...defaults, image: IMAGE, size: medium });
    const withSecret = (variable: string) =>
      taskDefinitionInput({ ...defaults, image: IMAGE, size: medium, attachments: { secrets: [{ owner: 'ann', name: 'db', as: 'environment_variable', variable }] } }).family;

    const { attachmentSettings: _settings, ...withoutSettings } = defaults;
    expect(plain).toEqual(taskDefinitionInput({ ...withoutSettings, image: IMAGE, size: medium }));
    expect(plain.containerDefinitions).toHaveLength(1);
    expect(withSecret('A')).not.toBe(plain.family);
    expect(withSecret('A')).toBe(withSecret('A'));
    expect(withSecret('B')).not.toBe(withSecret('A'));
  });

  it('clones into a workspace home, where `preserve changes` keeps the checkout, and mounts the home in both containers', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-x-r1:1' } });
    const definitions = new EcsTaskDefinitions({ client, ...defaults });
    const family = `cassini-${'a'.repeat(32)}-r1`;

    // Act
    await definitions.ensureService({
      image: IMAGE,
      size: medium,
      attachments: { gitRepositories: [{ url: 'https://github.com/acme/tools.git', path: 'workspace/tools', onRestart: 'preserve changes' }] },
      container: { family, script: 'jupyter lab', environment: [], ports: [8888], home: { fileSystemId: FS, accessPointId: 'fsap-home' } },
    });

    // Assess
    const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    const [git, main] = input.containerDefinitions!;
    expect(input.taskRoleArn).toBe(TASK_ROLE);
    expect(git).toMatchObject({ name: 'git', essential: false, mountPoints: [{ sourceVolume: 'home', containerPath: '/home/jovyan', readOnly: false }] });
    expect(git!.command![0]).toContain("if [ -d /home/jovyan/workspace/tools/.git ]; then");
    expect(main).toMatchObject({ name: 'main', command: ['jupyter lab'], mountPoints: [{ sourceVolume: 'home', containerPath: '/home/jovyan', readOnly: false }], dependsOn: [{ containerName: 'git', condition: 'SUCCESS' }] });
    expect(input.volumes).toEqual([{ name: 'home', efsVolumeConfiguration: { fileSystemId: FS, rootDirectory: '/', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-home', iam: 'ENABLED' } } }]);
  });

  it('refuses shared folders when the platform has no file system to put them on', async () => {
    await expect(resolveAttachments({ sharedFolders: [{ owner: 'ml', name: 'd', path: 'd', readOnly: false }] }, {})).rejects.toThrow(/FILE_SYSTEM_ID/);
  });
});

describe('startupPrelude, run by a real shell', () => {
  it('writes file secrets 0600 and unsets their variable, writes config files with their mode, then runs the script', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'cassini-prelude-'));
    const prelude = startupPrelude({
      secrets: [{ owner: 'ann', name: 'key', as: 'file', path: join(dir, 'secrets/key.json') }],
      configFiles: [{ path: join(dir, 'conf/app.toml'), content: "name = 'it''s'\n", mode: 0o640 }],
    })!;

    // Act
    const out = execFileSync('sh', ['-c', prelude, `echo "script sees: [\${CASSINI_SECRET_FILE_0:-unset}]"`], { env: { PATH: process.env.PATH, CASSINI_SECRET_FILE_0: 's3cr3t value' }, encoding: 'utf8' });

    // Assess
    expect(out.trim()).toBe('script sees: [unset]');
    expect(readFileSync(join(dir, 'secrets/key.json'), 'utf8')).toBe('s3cr3t value');
    expect(statSync(join(dir, 'secrets/key.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'conf/app.toml'), 'utf8')).toBe("name = 'it''s'\n");
    expect(statSync(join(dir, 'conf/app.toml')).mode & 0o777).toBe(0o640);
  });

  it('fails before the script when a package install fails', () => {
    const prelude = startupPrelude({ extraPackages: { pip: ['surely-not-a-package'] } })!;
    const result = spawnSync('/bin/sh', ['-c', prelude, 'echo ran'], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stdout).not.toContain('ran');
    expect(result.stderr).toContain('cassini: extra packages failed: pip install surely-not-a-package');
  });

  it('has nothing to prepare for env-only secrets', () => {
    expect(startupPrelude({ secrets: [{ owner: 'a', name: 'b', as: 'environment_variable', variable: 'B' }] })).toBeUndefined();
  });
});

describe('cloneScript, run by a real shell against real repositories', () => {
  function repository(): { url: string; commit: string } {
    const dir = mkdtempSync(join(tmpdir(), 'cassini-origin-'));
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    writeFileSync(join(dir, 'version'), 'one');
    git('add', 'version');
    git('commit', '-q', '-m', 'one');
    const commit = git('rev-parse', 'HEAD');
    git('tag', 'v1');
    writeFileSync(join(dir, 'version'), 'two');
    git('commit', '-q', '-am', 'two');
    return { url: dir, commit };
  }

  it('checks out the pinned tag and commit, and keeps an existing checkout when asked to preserve it', () => {
    // Prepare
    const origin = repository();
    const into = mkdtempSync(join(tmpdir(), 'cassini-clones-'));
    const script = cloneScript([
      { checkout: { url: origin.url, path: 'x', reference: 'v1', referenceType: 'tag', onRestart: 'reclone' }, destination: join(into, 'tag'), volumeRoot: false },
      { checkout: { url: origin.url, path: 'y', reference: origin.commit, referenceType: 'commit', onRestart: 'reclone' }, destination: join(into, 'commit'), volumeRoot: false },
      { checkout: { url: origin.url, path: 'z', onRestart: 'preserve changes' }, destination: join(into, 'kept'), volumeRoot: false },
    ]);

    // Act
    execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    writeFileSync(join(into, 'kept', 'version'), 'edited');
    execFileSync('sh', ['-c', script], { encoding: 'utf8' });

    // Assess
    expect(readFileSync(join(into, 'tag', 'version'), 'utf8')).toBe('one');
    expect(readFileSync(join(into, 'commit', 'version'), 'utf8')).toBe('one');
    expect(readFileSync(join(into, 'kept', 'version'), 'utf8')).toBe('edited');
  });

  it('fails with git\'s error when a clone fails, before any later repository', () => {
    const into = mkdtempSync(join(tmpdir(), 'cassini-clones-'));
    const origin = repository();
    const script = cloneScript([
      { checkout: { url: join(into, 'missing'), path: 'x', onRestart: 'reclone' }, destination: join(into, 'a'), volumeRoot: false },
      { checkout: { url: origin.url, path: 'y', onRestart: 'reclone' }, destination: join(into, 'b'), volumeRoot: false },
    ]);

    const result = spawnSync('sh', ['-c', script], { encoding: 'utf8' });

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/does not exist|not a git repository|Could not read/i);
    expect(result.stderr).toContain(`cassini: cloning ${join(into, 'missing')} failed`);
    expect(existsSync(join(into, 'b'))).toBe(false);
  });
});
