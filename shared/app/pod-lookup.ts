/**
 * Finds a pod by its name alone, as Saturn's client asks for one, and only among what the
 * caller may see: a job's pod names its run (`<run id>-<rank>`), and a local deployment's or
 * workspace's pod names its resource (`<resource id>-r<revision>-<n>`). An ECS task id (a
 * service's pod on AWS) names neither: it is looked for among the deployments and workspaces the
 * caller owns or shares through a group (all of them for an admin), a page of views at a time.
 * Anything not found, or not the caller's to see, is `NotFoundError`.
 */
import type { User } from '../domain/identity/principal-decider.ts';
import type { PodFacts } from '../domain/pod/pod-summary.ts';
import { parseRunTaskId } from '../domain/planner/run-tasks.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { ResourceService } from './resource-service.ts';
import type { JobRunService } from './job-run-service.ts';
import type { Pod } from '../domain/resource/service-replicas.ts';
import type { Run, RunTask } from '../domain/run/run-decider.ts';

const LOCAL_REPLICA = /^([0-9a-f]{32})-r\d+-\d+$/;
/** An ECS task's id: the last part of its ARN, 32 hexadecimal characters. */
const ECS_TASK_ID = /^[0-9a-f]{32}$/;
const LISTING_PAGE = 100;

function jobPodStatus(run: Run, task: RunTask): PodFacts['status'] {
  if (task.status === 'running') return 'running';
  if (task.status === 'launched') return run.status === 'cancelled' ? 'stopped' : 'pending';
  if (task.exitCode === 0) return 'completed';
  return run.status === 'cancelled' ? 'stopped' : 'failed';
}

function servicePodStatus(pod: Pod): PodFacts['status'] {
  switch (pod.status) {
    case 'starting':
      return 'pending';
    case 'running':
      return 'running';
    case 'stopped':
      return pod.exitCode === 0 || pod.exitCode === null ? 'stopped' : 'failed';
    case 'failed':
      return 'failed';
  }
}

async function jobPod(user: User, podName: string, runId: string, deps: { resources: ResourceService; runs: JobRunService }): Promise<PodFacts | undefined> {
  const run = await deps.runs.load(runId);
  const task = run?.tasks.find((t) => t.taskId === podName);
  if (!run || !task) return undefined;
  // Throws NotFoundError unless the caller may see the job.
  await deps.resources.getById(user, 'jobs', run.jobId);
  return {
    name: podName,
    resourceId: run.jobId,
    status: jobPodStatus(run, task),
    startedAt: run.startedAt,
    finishedAt: task.status === 'exited' ? (run.finishedAt ?? run.startedAt) : null,
    exitCode: task.exitCode,
    labels: { run: run.id },
  };
}

const SERVICE_KINDS = ['deployments', 'workspaces'] as const;

/** The pod among the resource's, trying each kind it may be (a local pod's name does not say which). */
async function servicePod(user: User, podName: string, resourceId: string, resources: ResourceService, kinds: ReadonlyArray<(typeof SERVICE_KINDS)[number]> = SERVICE_KINDS): Promise<PodFacts | undefined> {
  for (const kind of kinds) {
    let pods: Pod[];
    try {
      pods = await resources.pods(user, kind, resourceId);
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      throw error;
    }
    const pod = pods.find((p) => p.name === podName);
    if (!pod) return undefined;
    return { name: podName, resourceId, status: servicePodStatus(pod), startedAt: pod.startedAt, finishedAt: pod.endedAt, exitCode: pod.exitCode, labels: { revision: String(pod.revision) } };
  }
  return undefined;
}

/** A service pod named by its ECS task id, among the caller's own and group's deployments and workspaces. */
async function ecsServicePod(user: User, podName: string, resources: ResourceService): Promise<PodFacts | undefined> {
  for (const [type, kind] of [['deployment', 'deployments'], ['workspace', 'workspaces']] as const) {
    let cursor: string | undefined;
    do {
      const page = await resources.list(user, { type, pageSize: LISTING_PAGE, ...(cursor ? { cursor } : {}) });
      for (const { state } of page.recipes) {
        const found = typeof state.id === 'string' ? await servicePod(user, podName, state.id, resources, [kind]) : undefined;
        if (found) return found;
      }
      cursor = page.nextKey ?? undefined;
    } while (cursor);
  }
  return undefined;
}

export async function findVisiblePod(user: User, podName: string, deps: { resources: ResourceService; runs: JobRunService }): Promise<PodFacts> {
  const run = parseRunTaskId(podName);
  const replica = LOCAL_REPLICA.exec(podName);
  const pod = run
    ? await jobPod(user, podName, run.runId, deps)
    : replica
      ? await servicePod(user, podName, replica[1]!, deps.resources)
      : ECS_TASK_ID.test(podName)
        ? await ecsServicePod(user, podName, deps.resources)
        : undefined;
  if (!pod) throw new NotFoundError(`No pod named ${podName} that you may see.`);
  return pod;
}
