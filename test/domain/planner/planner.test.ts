import { describe, expect, it } from 'vitest';
import { planRun } from '../../../shared/domain/planner/run-plan.ts';
import { runTasks } from '../../../shared/domain/planner/run-tasks.ts';
import { typedRecipe } from '../support/typed-recipe.ts';
import { IDE_BIND_ADDRESS, planService, takesIdeToken } from '../../../shared/domain/planner/service-plan.ts';
import type { LiveResource } from '../../../shared/domain/resource/resource-decider.ts';

const spec = (extra: Record<string, unknown> = {}) =>
  typedRecipe({ type: 'job', spec: { name: 'etl', command: 'python etl.py', environment_variables: { STAGE: 'prod', LEVEL: 'info' }, ...extra } }, { caller: 'ann' }).spec;

describe('planRun', () => {
  it('takes the job command, environment, image, size, scale and timeout', () => {
    expect(planRun(spec({ scale: 3, timeout: '1h30m', start_script: 'pip install x', working_directory: '/home/jovyan/etl' }))).toEqual({
      command: 'python etl.py',
      environment: { STAGE: 'prod', LEVEL: 'info' },
      image: 'docker.io/library/python:3.12-slim',
      instance_type: 'medium',
      scale: 3,
      timeout_seconds: 5400,
      start_script: 'pip install x',
      working_directory: '/home/jovyan/etl',
      spot: false,
      attachments: { platformTokenFor: 'ann' },
    });
  });

  it('carries use_spot_instance as spot', () => {
    expect(planRun(spec({ use_spot_instance: true })).spot).toBe(true);
    expect(planRun(spec({ use_spot_instance: false })).spot).toBe(false);
    expect(planRun(spec()).spot).toBe(false);
  });

  it("applies a run's command and environment overrides over the job's", () => {
    const plan = planRun(spec(), { command: 'python etl.py --full', environment_variables: { LEVEL: 'debug', EXTRA: '1' } });
    expect(plan.command).toBe('python etl.py --full');
    expect(plan.environment).toEqual({ STAGE: 'prod', LEVEL: 'debug', EXTRA: '1' });
    expect(plan.timeout_seconds).toBeNull();
  });
});

describe('runTasks', () => {
  it('makes scale tasks ranked from 0 with the SATURN_JOB_* variables and cost labels', () => {
    // Prepare
    const plan = planRun(spec({ scale: 2 }));

    // Act
    const tasks = runTasks({ runId: 'r1', jobId: 'j1', jobName: 'etl', owner: 'ann' }, plan, { leaderAddress: (run) => `${run}-0.local` }, { SATURN_BASE_URL: 'http://x' });

    // Assess
    expect(tasks.map((t) => t.taskId)).toEqual(['r1-0', 'r1-1']);
    expect(tasks[1]!.environment).toEqual({
      STAGE: 'prod',
      LEVEL: 'info',
      SATURN_BASE_URL: 'http://x',
      SATURN_JOB_RANK: '1',
      SATURN_JOB_SCALE: '2',
      SATURN_JOB_LEADER: 'r1-0.local',
      SATURN_JOB_RUN: 'r1',
    });
    expect(tasks[0]!.labels).toEqual({ owner: 'ann', resource: 'j1', job: 'etl', run: 'r1', rank: '0' });
    expect(tasks.every((t) => t.group === 'r1' && t.command === 'python etl.py')).toBe(true);
  });

  it('does not let a job variable pretend to be the platform', () => {
    const plan = planRun(spec({ environment_variables: { SATURN_JOB_RANK: '7' } }));
    const [task] = runTasks({ runId: 'r', jobId: 'j', jobName: 'etl', owner: 'ann' }, plan, { leaderAddress: () => 'l' });
    expect(task!.environment.SATURN_JOB_RANK).toBe('0');
  });
});

describe('the Dask scheduler address known before launch (AWS)', () => {
  const network = { leaderAddress: () => 'l', daskSchedulerAddress: (jobId: string) => `tcp://${jobId}.dask.cassini.internal:8786` };

  it("gives a job's tasks DASK_SCHEDULER_ADDRESS when the job attaches a cluster", () => {
    // Prepare
    const plan = planRun(spec({ dask_cluster: { num_workers: 2 } }));

    // Act
    const [task] = runTasks({ runId: 'r', jobId: 'j1', jobName: 'etl', owner: 'ann' }, plan, network);

    // Assess
    expect(plan.dask_cluster).toBe(true);
    expect(task!.environment.DASK_SCHEDULER_ADDRESS).toBe('tcp://j1.dask.cassini.internal:8786');
  });

  it('gives none to a job without a cluster, nor where the address is known only at launch (local)', () => {
    const [without] = runTasks({ runId: 'r', jobId: 'j1', jobName: 'etl', owner: 'ann' }, planRun(spec()), network);
    const [local] = runTasks({ runId: 'r', jobId: 'j1', jobName: 'etl', owner: 'ann' }, planRun(spec({ dask_cluster: { num_workers: 1 } })), { leaderAddress: () => 'l' });
    expect(planRun(spec()).dask_cluster).toBeUndefined();
    expect(without!.environment.DASK_SCHEDULER_ADDRESS).toBeUndefined();
    expect(local!.environment.DASK_SCHEDULER_ADDRESS).toBeUndefined();
  });

  it("puts it in a deployment's task environment, so it is part of the service's task definition", () => {
    // Prepare
    const specOf = (extra: Record<string, unknown>) => typedRecipe({ type: 'deployment', spec: { name: 'api', command: 'serve', ...extra } }, { caller: 'ann' }).spec;
    const resource = (extra: Record<string, unknown>) => ({ id: 'd1', type: 'deployment', owner: 'ann', name: 'api', spec: specOf(extra), status: 'running', service: { revision: 1, pods: [] } }) as unknown as LiveResource;
    const context = { platformEnvironment: {}, daskSchedulerAddress: (id: string) => `tcp://${id}.dask.cassini.internal:8786` };

    // Act
    const withCluster = planService(resource({ dask_cluster: { num_workers: 1 } }), context);
    const without = planService(resource({}), context);

    // Assess
    expect(withCluster.task.environment.DASK_SCHEDULER_ADDRESS).toBe('tcp://d1.dask.cassini.internal:8786');
    expect(without.task.environment.DASK_SCHEDULER_ADDRESS).toBeUndefined();
    expect(withCluster.task.daskCluster).toBe('d1');
    expect(without.task.daskCluster).toBeUndefined();
  });

  it("names the cluster a task may reach by its own resource, whatever the spec's environment says", () => {
    // Prepare: a hostile spec points its environment at another resource's scheduler.
    const hostile = planRun(spec({ dask_cluster: { num_workers: 1 }, environment_variables: { DASK_SCHEDULER_ADDRESS: 'tcp://victim.dask.cassini.internal:8786' } }));

    // Act
    const [task] = runTasks({ runId: 'r', jobId: 'j1', jobName: 'etl', owner: 'ann' }, hostile, network);
    const [plain] = runTasks({ runId: 'r', jobId: 'j1', jobName: 'etl', owner: 'ann' }, planRun(spec()), network);

    // Assess: the security group it joins on AWS is its own job's cluster's.
    expect(task!.daskCluster).toBe('j1');
    expect(plain!.daskCluster).toBeUndefined();
  });
});

describe('planService: IDEs', () => {
  const workspace = (ide: string) =>
    ({
      id: 'w1', type: 'workspace', owner: 'ann', name: 'lab', status: 'running', service: { revision: 1, pods: [] },
      spec: typedRecipe({ type: 'workspace', spec: { name: 'lab', ide } }, { caller: 'ann' }).spec,
    }) as unknown as LiveResource;

  it.each([
    ['jupyter', '--ip=127.0.0.1'],
    ['rstudio', '--www-address=127.0.0.1'],
  ])('binds %s to the loopback interface only, where nothing but the edge in front of it can connect', (ide, bind) => {
    // Act
    const { command } = planService(workspace(ide), { platformEnvironment: {} }).task;

    // Assess
    expect(IDE_BIND_ADDRESS).toBe('127.0.0.1');
    expect(command).toContain(bind);
    expect(command).not.toMatch(/0\.0\.0\.0|--ip=\*|--ip=::|--www-address=(?!127\.0\.0\.1)/);
  });

  it("has Jupyter take its token from the runtime's variable (empty where none is given, as on AWS), in no literal form", () => {
    const { command } = planService(workspace('jupyter'), { platformEnvironment: {} }).task;

    expect(takesIdeToken(command)).toBe(true);
    expect(command).toContain('--ServerApp.token="${CASSINI_IDE_TOKEN:-}"');
    expect(takesIdeToken(planService(workspace('rstudio'), { platformEnvironment: {} }).task.command)).toBe(false);
  });
});
