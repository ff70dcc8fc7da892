/**
 * Decides access to a task's attachments again at the moment it launches, for launches the
 * control plane does not plan one by one: a replica the local runtime replaces, a Dask worker it
 * restarts, a run whose launch waited out a retry backoff. The rule is the one applied at apply
 * and at plan time (attachment-access.ts); a task whose owner (its `owner` label) may no longer
 * use one of its secrets or shared folders does not start: the launch fails with a
 * LaunchRefusedError naming it, which a runtime records and does not retry.
 */
import type { EventStore } from '../ports/event-store.ts';
import { LaunchRefusedError, type TaskDriver, type TaskSpec } from '../ports/task-driver.ts';
import { accessLostReason, taskAttachmentReferences } from '../domain/catalog/attachment-access.ts';
import { inspectReferences } from './attachment-check.ts';
import { catalogLookup } from './attachment-facts.ts';
import { interceptLaunch } from './launch-interceptor.ts';

/** Why the task's owner may no longer use what it carries, or undefined when it may. */
export async function launchRefusal(store: EventStore, spec: TaskSpec): Promise<string | undefined> {
  const refs = taskAttachmentReferences(spec.attachments);
  const owner = spec.labels.owner;
  if (owner === undefined) return undefined;
  const { issues } = await inspectReferences(catalogLookup(store), owner, refs);
  return issues.length === 0 ? undefined : accessLostReason(owner, issues);
}

/** The driver, with every launch checked first. */
export function accessCheckedDriver<D extends Pick<TaskDriver, 'launch'>>(driver: D, store: EventStore): D {
  return interceptLaunch(driver, async (spec) => {
    const refusal = await launchRefusal(store, spec);
    if (refusal !== undefined) throw new LaunchRefusedError(refusal);
    return spec;
  });
}
