/**
 * What ECS knows of the platform's run tasks, for the reconciler. The tasks ECS means to run
 * are listed for the whole cluster at once (ListTasks pages of 100, DescribeTasks batches of
 * 100), so a pass over a thousand running runs costs some twenty calls, not thousands; only a
 * task missing from that list is looked up among its run's stopped tasks, which ECS keeps for
 * about an hour.
 *
 * Deployments' and workspaces' replicas are started by their ECS services, not by a run: the
 * reconciler counts those that wait in PROVISIONING too long (`serviceTasksWaitingToStart`).
 */
import { DescribeTasksCommand, ListTasksCommand, type DesiredStatus, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import { startedByFor } from './ecs-task-launcher.ts';
import { resourceOfTaskGroup } from '../services/service-names.ts';
import { runTaskOf, type EcsTaskFacts } from './ecs-task-state.ts';

const DESCRIBE_BATCH = 100;

export interface EcsRunInspectorOptions {
  client: ECSClient;
  cluster: string;
}

export class EcsRunInspector {
  constructor(private readonly options: EcsRunInspectorOptions) {}

  /** Every run task of the cluster whose desired status is RUNNING (PENDING or RUNNING), by task id. */
  async liveTasks(): Promise<Map<string, EcsTaskFacts>> {
    return this.byTaskId(await this.describe(await this.list({ desiredStatus: 'RUNNING' })));
  }

  /**
   * How many of the platform services' tasks ECS created before `createdBefore` and still holds
   * in PROVISIONING: no capacity takes them ("Amazon ECS task lifecycle": a task waits there
   * while a capacity provider scales out, with no deadline), so a replica can wait unseen.
   */
  async serviceTasksWaitingToStart(createdBefore: Date): Promise<number> {
    return serviceTasksProvisioningSince(await this.describe(await this.list({ desiredStatus: 'RUNNING' })), createdBefore);
  }

  /** The run's tasks ECS has stopped (and still remembers), by task id. */
  async stoppedTasksOf(runId: string): Promise<Map<string, EcsTaskFacts>> {
    const tasks = await this.describe(await this.list({ desiredStatus: 'STOPPED', startedBy: startedByFor(runId) }));
    return this.byTaskId(tasks.filter((t) => runTaskOf(t)?.runId === runId));
  }

  private async list(filter: { desiredStatus: DesiredStatus; startedBy?: string }): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.options.client.send(new ListTasksCommand({ cluster: this.options.cluster, ...filter, ...(nextToken ? { nextToken } : {}) }));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  private async describe(arns: string[]): Promise<Task[]> {
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
      const page = await this.options.client.send(new DescribeTasksCommand({ cluster: this.options.cluster, tasks: arns.slice(i, i + DESCRIBE_BATCH) }));
      tasks.push(...(page.tasks ?? []));
    }
    return tasks;
  }

  private byTaskId(tasks: Task[]): Map<string, EcsTaskFacts> {
    const found = new Map<string, EcsTaskFacts>();
    for (const task of tasks) {
      const ref = runTaskOf(task);
      if (ref) found.set(ref.taskId, task);
    }
    return found;
  }
}

/** Tasks of a platform service (group `service:cassini-…`) still PROVISIONING and created before `createdBefore`. */
export function serviceTasksProvisioningSince(tasks: EcsTaskFacts[], createdBefore: Date): number {
  return tasks.filter((t) => resourceOfTaskGroup(t.group) !== undefined && t.lastStatus === 'PROVISIONING' && t.createdAt !== undefined && new Date(t.createdAt).getTime() <= createdBefore.getTime()).length;
}
