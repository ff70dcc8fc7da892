/**
 * The read side of Dask clusters on ECS: which tasks of a resource's cluster run, and its
 * description for `GET /api/{kind}/{id}/dask`. Apart from the runtime (ecs-dask-runtime.ts)
 * so the API Lambda, which only describes, bundles no call that starts, stops or registers
 * anything: a describe is one ListTasks (the cluster's tasks, by `startedBy`) and, when some
 * run, one DescribeTasks.
 *
 * The scheduler's address does not depend on which task runs it: `tls://<resource id>.<namespace>:8786`,
 * the Cloud Map name the runtime keeps pointed at the scheduler task.
 */
import { DescribeTasksCommand, ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { STOPPED_CLUSTER, type DaskClusterDescription, type DaskRuntime } from '../../../ports/dask-runtime.ts';
import { DASK_DASHBOARD_PORT } from '../../../domain/planner/dask-plan.ts';
import type { ClusterTask } from '../../../domain/planner/dask-reconcile.ts';
import { cloudMapSchedulerAddress, daskGroupOf, daskResourceOf, daskStartedBy } from './dask-task-names.ts';

/** DescribeTasks describes at most this many per call. */
const DESCRIBE_MAX = 100;

export interface EcsDaskInspectorOptions {
  ecs: ECSClient;
  cluster: string;
  /** The Cloud Map private DNS namespace's name (e.g. `dask.cassini.internal`). */
  namespaceName: string;
}

export class EcsDaskInspector implements Pick<DaskRuntime, 'describe'> {
  constructor(private readonly options: EcsDaskInspectorOptions) {}

  addressOf(resourceId: string): string {
    return cloudMapSchedulerAddress(resourceId, this.options.namespaceName);
  }

  async describe(resourceId: string): Promise<DaskClusterDescription> {
    const tasks = (await this.tasks(resourceId)).map((t) => t.view);
    const scheduler = tasks.find((t) => t.role === 'scheduler');
    if (!scheduler) return STOPPED_CLUSTER;
    return {
      status: scheduler.state === 'running' ? 'running' : 'starting',
      scheduler_address: this.addressOf(resourceId),
      dashboard_url: `http://${resourceId}.${this.options.namespaceName}:${DASK_DASHBOARD_PORT}/status`,
      num_workers: tasks.filter((t) => t.role === 'worker' && t.state === 'running').length,
    };
  }

  /** The cluster's tasks that run or are coming up. */
  async tasks(resourceId: string): Promise<Array<{ view: ClusterTask; task: Task }>> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.options.ecs.send(new ListTasksCommand({ cluster: this.options.cluster, startedBy: daskStartedBy(resourceId), desiredStatus: 'RUNNING', nextToken }));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const tasks = await this.describeTasks(arns, true);
    return tasks
      .filter((t) => t.taskArn && t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED' && t.lastStatus !== 'DEPROVISIONING' && t.lastStatus !== 'STOPPING')
      .map((task) => ({
        task,
        view: {
          id: taskIdOf(task.taskArn!),
          role: task.group === daskGroupOf(resourceId, 'scheduler') ? 'scheduler' : 'worker',
          state: task.lastStatus === 'RUNNING' ? 'running' : 'starting',
          ip: privateIpOf(task),
          startedAt: task.startedAt?.toISOString() ?? null,
        },
      }));
  }

  /** The resources that have a task of a Dask cluster in the cluster (for the reconciler's sweep). */
  async resourcesWithTasks(): Promise<Set<string>> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.options.ecs.send(new ListTasksCommand({ cluster: this.options.cluster, desiredStatus: 'RUNNING', nextToken }));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const found = new Set<string>();
    for (const task of await this.describeTasks(arns, false)) {
      const resource = daskResourceOf(task.startedBy);
      if (resource) found.add(resource);
    }
    return found;
  }

  /** With tags when a worker may be copied from them (`scale`). */
  private async describeTasks(arns: string[], withTags: boolean): Promise<Task[]> {
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += DESCRIBE_MAX) {
      const batch = arns.slice(i, i + DESCRIBE_MAX);
      const described = await this.options.ecs.send(new DescribeTasksCommand({ cluster: this.options.cluster, tasks: batch, ...(withTags ? { include: ['TAGS'] } : {}) }));
      tasks.push(...(described.tasks ?? []));
    }
    return tasks;
  }
}

/** The task's id, the last part of its ARN: what StopTask takes, and the scheduler's Cloud Map instance id. */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

function privateIpOf(task: Task): string | null {
  for (const attachment of task.attachments ?? []) {
    const ip = attachment.details?.find((d) => d.name === 'privateIPv4Address')?.value;
    if (ip) return ip;
  }
  return null;
}

/** The inspector of a cluster's Dask tasks, with a new client. */
export function ecsDaskInspectorWith(settings: Omit<EcsDaskInspectorOptions, 'ecs'>): EcsDaskInspector {
  return new EcsDaskInspector({ ecs: new ECSClient({}), ...settings });
}
