/**
 * Decides access to a task's attachments again at the moment it launches, for launches the
 * control plane does not plan one by one: a replica the local runtime replaces, a Dask worker it
 * restarts, a run whose launch waited out a retry backoff. The rule is the one applied at apply
 * and at plan time (attachment-access.ts); a task whose owner (its `owner` label) may no longer
 * use one of its secrets or shared folders does not start: the launch fails with a
 * LaunchRefusedError naming it, which a runtime records and does not retry.
 */
import type { EventStore } from '../ports/event-store.ts';
import { LaunchRefusedError, type TaskAttachments, type TaskDriver, type TaskSpec } from '../ports/task-driver.ts';
import { accessLostReason, taskAttachmentReferences } from '../domain/catalog/attachment-access.ts';
import { inspectReferences } from './attachment-check.ts';
import { catalogLookup } from './attachment-facts.ts';
import { interceptLaunch } from './launch-interceptor.ts';

/** Why `owner` may no longer use the secrets and shared folders of planned attachments, or undefined when it may. */
export async function attachmentsRefusal(store: EventStore, owner: string, attachments: TaskAttachments | undefined): Promise<string | undefined> {
  const { issues } = await inspectReferences(catalogLookup(store), owner, taskAttachmentReferences(attachments));
  return issues.length === 0 ? undefined : accessLostReason(owner, issues);
}

/** Why the task's owner (its `owner` label) may no longer use what it carries, or undefined when it may. */
export async function launchRefusal(store: EventStore, spec: TaskSpec): Promise<string | undefined> {
  const owner = spec.labels.owner;
  return owner === undefined ? undefined : attachmentsRefusal(store, owner, spec.attachments);
}

/** The driver, with every launch checked first. */
export function accessCheckedDriver<D extends Pick<TaskDriver, 'launch'>>(driver: D, store: EventStore): D {
  return interceptLaunch(driver, async (spec) => {
    const refusal = await launchRefusal(store, spec);
    if (refusal !== undefined) throw new LaunchRefusedError(refusal);
    return spec;
  });
}
