/**
 * Listed recipes as JSON text, each serialised once while its view stays the same.
 *
 * A listing of 100 jobs is about 46 KB of JSON, and serialising it was a quarter of
 * `GET /api/recipes`'s time under load (a CPU profile of the local platform, issue 13). Views
 * held in memory are frozen as they enter (memory-recipe-views.ts) and replaced, never changed,
 * when their resource changes: a frozen view's JSON cannot change either, unless its rendering
 * depends on something besides the view — the moment (a scheduled job's next runs) or how a
 * shell is reached (a workspace with `start_ssh`). Those, and views that are not frozen (read
 * from a table at each call, as on AWS), are serialised at every call.
 */
import type { RecipeView } from '../ports/recipe-views.ts';
import type { LiveResource } from '../domain/resource/resource-decider.ts';
import type { RecipeResponse } from './recipe-rendering.ts';

/** Whether the recipe rendered from the resource is the same whenever it is rendered (recipe-rendering.ts). */
function rendersAlikeAtAnyTime(resource: LiveResource): boolean {
  if (resource.type === 'job') return !resource.spec.schedule || resource.scheduleSuspended;
  if (resource.type === 'workspace') return resource.spec.start_ssh !== true;
  return true;
}

export class RecipeJsonCache {
  /** Keyed by the view object itself: a replaced view is a new key, and the old one's text goes with it. */
  readonly #texts = new WeakMap<RecipeView, string>();

  /** The view's recipe as JSON text, as `JSON.stringify(render(view))` would give it now. */
  text(view: RecipeView, render: (view: RecipeView) => RecipeResponse): string {
    if (!Object.isFrozen(view) || !rendersAlikeAtAnyTime(view.resource)) return JSON.stringify(render(view));
    let text = this.#texts.get(view);
    if (text === undefined) {
      text = JSON.stringify(render(view));
      this.#texts.set(view, text);
    }
    return text;
  }
}
