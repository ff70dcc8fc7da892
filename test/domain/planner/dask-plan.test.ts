import { describe, expect, it } from 'vitest';
import { daskSchedulerAddress, daskSchedulerCommand, daskWorkerCommand, planDaskCluster, type DaskPlanInput } from '../../../shared/domain/planner/dask-plan.ts';
import { planAttachments } from '../../../shared/domain/planner/task-attachments.ts';

const ID = 'ab'.repeat(12) + '00000001';

function job(spec: Record<string, unknown>, daskScaledTo: number | null = null): DaskPlanInput {
  return {
    id: ID,
    type: 'job',
    owner: 'ann',
    name: 'train',
    daskScaledTo,
    spec: { name: 'train', owner: 'ann', command: 'python train.py', image: 'ghcr.io/acme/ml:1', instance_type: 'large', environment_variables: { MODE: 'x' }, ...spec },
  };
}

describe('planDaskCluster', () => {
  it('is null for a spec without dask_cluster', () => {
    expect(planDaskCluster(job({}))).toBeNull();
  });

  it("runs on the resource's image, environment and size unless the cluster names sizes", () => {
    // Act
    const plan = planDaskCluster(job({ dask_cluster: { num_workers: 3 }, start_script: 'pip install x' }));

    // Assess
    expect(plan).toEqual({
      resourceId: ID,
      type: 'job',
      owner: 'ann',
      name: 'train',
      image: 'ghcr.io/acme/ml:1',
      numWorkers: 3,
      scheduler: { instanceType: 'large' },
      worker: { instanceType: 'large', numProcesses: 1, numThreads: 1, spot: false },
      environment: { MODE: 'x' },
      startScript: 'pip install x',
      labels: { owner: 'ann', resource: ID, job: 'train' },
    });
  });

  it('takes sizes, processes, threads and spot from the cluster, and the scaled count over num_workers', () => {
    const plan = planDaskCluster(
      job({ dask_cluster: { num_workers: 3, scheduler: { instance_type: 'small' }, worker: { instance_type: 'xlarge', num_processes: 4, num_threads: 2, use_spot_instances: true } } }, 9),
    );
    expect(plan).toMatchObject({ numWorkers: 9, scheduler: { instanceType: 'small' }, worker: { instanceType: 'xlarge', numProcesses: 4, numThreads: 2, spot: true } });
  });
});

describe('planDaskCluster with attachments', () => {
  const attached = {
    dask_cluster: { num_workers: 2 },
    iam_role: 'trainer',
    secrets: [
      { name: 'db', attachment_type: 'environment_variable', location: 'DB_PASSWORD' },
      { name: 'deploy', attachment_type: 'file', location: '/home/jovyan/.ssh/id_ed25519' },
    ],
    git_repositories: [{ url: 'git@github.com:acme/features.git', reference: 'v3', reference_type: 'tag' }],
    shared_folders: [{ name: 'raw' }, { name: 'ref', owner: 'data-team', path: '/home/jovyan/ref' }],
    config_files: { '/home/jovyan/.dask/config.yaml': { content: 'distributed: {}\n' } },
    extra_packages: { pip: 'lightgbm polars' },
  };
  const ROLE = 'arn:aws:iam::123456789012:role/cassini-workloads/trainer';

  it("gives the cluster's tasks the resource's attachments, with the catalog's facts, as its own tasks get them", () => {
    // Prepare
    const resource = job(attached);
    const facts = { taskRoleArn: ROLE, readOnlyFolders: ['data-team/ref'] };

    // Act
    const plan = planDaskCluster(resource, facts);

    // Assess: every kind the spec attaches, with the catalog's facts in...
    expect(Object.keys(plan?.attachments ?? {}).sort()).toEqual(['configFiles', 'extraPackages', 'gitRepositories', 'secrets', 'sharedFolders', 'taskRoleArn']);
    expect(plan?.attachments?.taskRoleArn).toBe(ROLE);
    expect(plan?.attachments?.sharedFolders?.map((f) => [`${f.owner}/${f.name}`, f.readOnly])).toEqual([
      ['ann/raw', false],
      ['data-team/ref', true],
    ]);
    expect(plan?.attachments?.gitRepositories?.[0]?.deployKey).toEqual({ owner: 'ann', name: 'deploy' });
    // ...and the same as the resource's own tasks get (task-attachments.test.ts), but for the platform token.
    const { platformTokenFor, ...own } = planAttachments(resource.spec, 'ann', facts);
    expect(platformTokenFor).toBe('ann');
    expect(plan?.attachments).toEqual(own);
  });

  it('gives no SATURN_TOKEN, and no attachments at all to a resource that attaches nothing', () => {
    expect(planDaskCluster(job(attached))?.attachments).not.toHaveProperty('platformTokenFor');
    expect(planDaskCluster(job({ dask_cluster: { num_workers: 2 } }))).not.toHaveProperty('attachments');
  });

  it('attaches no role and mounts folders read-write without catalog facts', () => {
    const plan = planDaskCluster(job(attached));
    expect(plan?.attachments).not.toHaveProperty('taskRoleArn');
    expect(plan?.attachments?.sharedFolders?.map((f) => f.readOnly)).toEqual([false, false]);
  });
});

describe('dask commands', () => {
  it('starts the scheduler on 8786 with its dashboard on 8787 by default', () => {
    expect(daskSchedulerCommand()).toBe('dask scheduler --port 8786 --dashboard-address :8787');
    expect(daskSchedulerCommand({ host: '127.0.0.1', port: '"$PORT_8786"', dashboardPort: '"$PORT_8787"' })).toBe(
      'dask scheduler --host 127.0.0.1 --port "$PORT_8786" --dashboard-address 127.0.0.1:"$PORT_8787"',
    );
  });

  it('serves TLS only with `--protocol tls`, at a tls:// address that workers take their protocol from', () => {
    expect(daskSchedulerCommand({ port: 8786, dashboardPort: 8787, protocol: 'tls' })).toBe('dask scheduler --protocol tls --port 8786 --dashboard-address :8787');
    expect(daskSchedulerAddress('127.0.0.1', 40001, 'tls')).toBe('tls://127.0.0.1:40001');
    expect(daskSchedulerAddress('127.0.0.1', 40001)).toBe('tcp://127.0.0.1:40001');
  });

  it('points workers at the scheduler with their processes and threads', () => {
    const worker = { instanceType: 'large', numProcesses: 4, numThreads: 2, spot: true };
    expect(daskWorkerCommand(worker, 'tcp://abc.dask.cassini.internal:8786')).toBe('dask worker tcp://abc.dask.cassini.internal:8786 --nworkers 4 --nthreads 2');
  });
});
