import { describe, expect, it } from 'vitest';
import { extraPackages, fileMode, planAttachments } from '../../../shared/domain/planner/task-attachments.ts';
import { planRun } from '../../../shared/domain/planner/run-plan.ts';
import { runTasks } from '../../../shared/domain/planner/run-tasks.ts';
import { planService } from '../../../shared/domain/planner/service-plan.ts';
import { typedRecipe } from '../support/typed-recipe.ts';
import { runPlanSchema } from '../../../events/run-events.ts';
import type { LiveResource } from '../../../shared/domain/resource/resource-decider.ts';

/** A job spec as the API stores it: parsed, with defaults applied. */
const jobSpec = (extra: Record<string, unknown> = {}) => typedRecipe({ type: 'job', spec: { name: 'etl', command: 'python etl.py', ...extra } }, { caller: 'ann' }).spec;

describe('planAttachments', () => {
  it('takes secrets by reference, owned by the resource owner unless they name another', () => {
    // Given
    const spec = jobSpec({
      secrets: [
        { name: 'db', attachment_type: 'environment_variable', location: 'DB_PASSWORD' },
        { name: 'creds', owner: 'org/data-team', attachment_type: 'file', location: '/home/jovyan/.creds' },
      ],
    });

    // When
    const attachments = planAttachments(spec, 'ann');

    // Then
    expect(attachments.secrets).toEqual([
      { owner: 'ann', name: 'db', as: 'environment_variable', variable: 'DB_PASSWORD' },
      { owner: 'data-team', name: 'creds', as: 'file', path: '/home/jovyan/.creds' },
    ]);
  });

  it('checks git repositories out at /home/jovyan/workspace/<repository name> by default, preserving changes', () => {
    // Given
    const spec = jobSpec({
      git_repositories: [
        { url: 'https://github.com/acme/tools.git' },
        { url: 'https://github.com/acme/models', path: '/home/jovyan/m', reference: 'v2', reference_type: 'tag', on_restart: 'reclone' },
        { url: 'https://github.com/acme/data/', reference: 'abc123', reference_type: 'commit' },
      ],
    });

    // When
    const { gitRepositories } = planAttachments(spec, 'ann');

    // Then
    expect(gitRepositories).toEqual([
      { url: 'https://github.com/acme/tools.git', path: '/home/jovyan/workspace/tools', onRestart: 'preserve changes' },
      { url: 'https://github.com/acme/models', path: '/home/jovyan/m', reference: 'v2', referenceType: 'tag', onRestart: 'reclone' },
      { url: 'https://github.com/acme/data/', path: '/home/jovyan/workspace/data', reference: 'abc123', referenceType: 'commit', onRestart: 'preserve changes' },
    ]);
  });

  it('clones private ssh repositories with the SSH key attached as a file secret under ~/.ssh', () => {
    // Given
    const spec = jobSpec({
      secrets: [{ name: 'deploy', attachment_type: 'file', location: '/home/jovyan/.ssh/id_ed25519' }],
      git_repositories: [{ url: 'git@github.com:acme/private.git' }, { url: 'https://github.com/acme/open.git' }, { url: 'git@github.com:acme/open2.git', public: true }],
    });

    // When
    const { gitRepositories } = planAttachments(spec, 'ann');

    // Then
    expect(gitRepositories!.map((r) => r.deployKey)).toEqual([{ owner: 'ann', name: 'deploy' }, undefined, undefined]);
  });

  it('mounts shared folders at /home/jovyan/shared/<owner>/<name> by default, read-only when the catalog says ReadOnlyMany', () => {
    // Given
    const spec = jobSpec({ shared_folders: [{ name: 'raw' }, { name: 'ref', owner: 'data-team', path: '/home/jovyan/ref' }] });

    // When
    const { sharedFolders } = planAttachments(spec, 'ann', { readOnlyFolders: ['data-team/ref'] });

    // Then
    expect(sharedFolders).toEqual([
      { owner: 'ann', name: 'raw', path: '/home/jovyan/shared/ann/raw', readOnly: false },
      { owner: 'data-team', name: 'ref', path: '/home/jovyan/ref', readOnly: true },
    ]);
  });

  it('writes config files with their octal modes, 0644 by default', () => {
    // Given
    const spec = jobSpec({ config_files: { '/home/jovyan/a': { content: 'a' }, '/home/jovyan/b': { content: 'b', mode: '0600' }, '/home/jovyan/c': { content: 'c', mode: 755 } } });

    // When
    const { configFiles } = planAttachments(spec, 'ann');

    // Then
    expect(configFiles).toEqual([
      { path: '/home/jovyan/a', content: 'a', mode: 0o644 },
      { path: '/home/jovyan/b', content: 'b', mode: 0o600 },
      { path: '/home/jovyan/c', content: 'c', mode: 0o755 },
    ]);
  });

  it('carries the task role it is given and a SATURN_TOKEN for the owner; nothing else for a bare spec', () => {
    expect(planAttachments(jobSpec(), 'ann')).toEqual({ platformTokenFor: 'ann' });
    expect(planAttachments(jobSpec({ iam_role: 'reader' }), 'ann', { taskRoleArn: 'arn:aws:iam::123456789012:role/reader' })).toEqual({
      taskRoleArn: 'arn:aws:iam::123456789012:role/reader',
      platformTokenFor: 'ann',
    });
  });
});

describe('extraPackages', () => {
  it('reads lists, space-separated strings and {install, channels} alike', () => {
    expect(extraPackages({ pip: 'pandas  numpy==2.0', apt: ['curl', ' jq '], conda: { install: 'xgboost', channels: ['conda-forge'] }, cran: { install: ['data.table'] }, use_mamba: true })).toEqual({
      apt: ['curl', 'jq'],
      conda: ['xgboost'],
      condaChannels: ['conda-forge'],
      useMamba: true,
      pip: ['pandas', 'numpy==2.0'],
      cran: ['data.table'],
    });
  });

  it('gives nothing for empty lists', () => {
    expect(extraPackages({ pip: '', apt: [] })).toBeUndefined();
    expect(extraPackages(undefined)).toBeUndefined();
  });
});

describe('fileMode', () => {
  it('reads strings and numbers written in octal digits (YAML turns 0644 into 644) as octal, other numbers as the mode', () => {
    expect([fileMode('0644'), fileMode('600'), fileMode(644), fileMode(0o755), fileMode(undefined)]).toEqual([0o644, 0o600, 0o644, 0o755, 0o644]);
  });
});

describe('attachments in plans', () => {
  it('go into the run plan, survive the RunQueued schema, and reach every task of the run; no secret value anywhere', () => {
    // Given
    const spec = jobSpec({ scale: 2, secrets: [{ name: 'db', attachment_type: 'environment_variable', location: 'DB' }], shared_folders: [{ name: 'raw' }] });

    // When
    const plan = runPlanSchema.parse(JSON.parse(JSON.stringify(planRun(spec, {}, { readOnlyFolders: ['ann/raw'] }))));
    const tasks = runTasks({ runId: 'r'.repeat(32), jobId: 'job', jobName: 'etl', owner: 'ann' }, plan, { leaderAddress: () => 'localhost' });

    // Then
    expect(plan.attachments).toEqual({
      secrets: [{ owner: 'ann', name: 'db', as: 'environment_variable', variable: 'DB' }],
      sharedFolders: [{ owner: 'ann', name: 'raw', path: '/home/jovyan/shared/ann/raw', readOnly: true }],
      platformTokenFor: 'ann',
    });
    expect(tasks.map((t) => t.attachments)).toEqual([plan.attachments, plan.attachments]);
  });

  it('read a run plan recorded before attachments existed', () => {
    const old = { command: 'x', environment: {}, image: 'i', instance_type: 'medium', scale: 1, timeout_seconds: null, start_script: null, working_directory: null };
    expect(runPlanSchema.parse(old).attachments).toBeUndefined();
  });

  it("go into a service plan's task", () => {
    // Given
    const spec = typedRecipe({ type: 'deployment', spec: { name: 'api', command: 'serve', git_repositories: [{ url: 'https://x/y.git' }] } }, { caller: 'ann' }).spec;
    const resource = { id: 'd1', type: 'deployment', owner: 'ann', name: 'api', spec, status: 'running', service: { revision: 1, pods: [] } } as unknown as LiveResource;

    // When
    const plan = planService(resource, { platformEnvironment: {}, catalog: { taskRoleArn: 'arn:aws:iam::123456789012:role/r' } });

    // Then
    expect(plan.task.attachments).toEqual({
      gitRepositories: [{ url: 'https://x/y.git', path: '/home/jovyan/workspace/y', onRestart: 'preserve changes' }],
      taskRoleArn: 'arn:aws:iam::123456789012:role/r',
      platformTokenFor: 'ann',
    });
  });
});
