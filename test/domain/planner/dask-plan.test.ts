import { describe, expect, it } from 'vitest';
import { daskSchedulerCommand, daskWorkerCommand, planDaskCluster, type DaskPlanInput } from '../../../shared/domain/planner/dask-plan.ts';

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

describe('dask commands', () => {
  it('starts the scheduler on 8786 with its dashboard on 8787 by default', () => {
    expect(daskSchedulerCommand()).toBe('dask scheduler --port 8786 --dashboard-address :8787');
    expect(daskSchedulerCommand({ host: '127.0.0.1', port: '"$PORT_8786"', dashboardPort: '"$PORT_8787"' })).toBe(
      'dask scheduler --host 127.0.0.1 --port "$PORT_8786" --dashboard-address 127.0.0.1:"$PORT_8787"',
    );
  });

  it('points workers at the scheduler with their processes and threads', () => {
    const worker = { instanceType: 'large', numProcesses: 4, numThreads: 2, spot: true };
    expect(daskWorkerCommand(worker, 'tcp://abc.dask.cassini.internal:8786')).toBe('dask worker tcp://abc.dask.cassini.internal:8786 --nworkers 4 --nthreads 2');
  });
});
