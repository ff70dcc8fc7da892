/**
 * The commands both event stores run, built from the real domain: a job created from a
 * recipe through `parseRecipe` and ApplyRecipe, then StartResource / StopResource on it.
 * Both sides decide with the same `resourceDecider`, so the only difference measured is
 * how state is loaded and events stored.
 */
import { parseRecipe } from '../shared/domain/recipe/recipe.ts';
import { resourceStreamId } from '../shared/domain/resource/resource-identity.ts';
import type { ResourceCommand, ResourceState } from '../shared/domain/resource/resource-decider.ts';

const ACTOR = 'bench';

export interface JobRecipe {
  streamId: string;
  apply: Extract<ResourceCommand, { kind: 'ApplyRecipe' }>;
}

export function jobRecipe(name: string): JobRecipe {
  const recipe = parseRecipe(
    { schema_version: '2025.10.01', type: 'job', spec: { name, command: 'python train.py --epochs 3', schedule: '0 * * * *' } },
    { caller: ACTOR },
  );
  return {
    streamId: resourceStreamId(recipe.type, recipe.spec.owner, recipe.spec.name),
    apply: { kind: 'ApplyRecipe', ...recipe, createOnly: true, at: new Date().toISOString(), actor: ACTOR },
  };
}

/** The command that changes something in `state`: start a stopped job, stop a started one. */
export function toggleCommand(state: ResourceState): ResourceCommand {
  const live = state.live;
  if (!live) throw new Error(`stream ${state.streamId} has no live resource`);
  const kind = live.status === 'stopped' || live.status === 'stopping' ? 'StartResource' : 'StopResource';
  return { kind, id: live.id, at: new Date().toISOString(), actor: ACTOR };
}
