/**
 * Loads the resource stream an id names, or fails with 404 when the caller may not see it.
 * A command on the resource passes the result to `runCommand` (`loaded`), so checking access
 * costs no second read.
 */
import type { EventStore } from '../ports/event-store.ts';
import { loadState, type LoadedStream } from './command-runner.ts';
import { resourceModel } from './resource-model.ts';
import { addressOf } from '../domain/resource/resource-identity.ts';
import type { ResourceState } from '../domain/resource/resource-decider.ts';
import type { ResourceType } from '../domain/recipe/spec-schemas.ts';
import type { User } from '../domain/identity/principal-decider.ts';
import { mayAccess } from '../domain/identity/access.ts';
import { NotFoundError } from '../domain/errors.ts';

export async function loadVisibleResource(store: EventStore, user: User, type: ResourceType, id: string): Promise<LoadedStream<ResourceState>> {
  // Made only when thrown: an error's stack costs more than the rest of a remembered load.
  const notFound = () => new NotFoundError(`No ${type} with id ${id}.`);
  const address = addressOf(id);
  if (!address) throw notFound();
  const loaded = await loadState(store, resourceModel(address.streamId));
  const { state } = loaded;
  if (!state.address || state.address.type !== type || address.incarnation > state.incarnation) throw notFound();
  if (!mayAccess(user, state.address.owner)) throw notFound();
  return loaded;
}
