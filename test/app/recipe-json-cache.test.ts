/**
 * Listed recipes' JSON (shared/app/recipe-json-cache.ts): a frozen view, as memory views hold
 * them, is serialised once and gives the same text as rendering it now; a replaced view is
 * serialised afresh; what renders differently over time (a scheduled job's next runs, a
 * workspace's SSH access) and views that are not frozen are serialised at every call.
 */
import { describe, expect, it } from 'vitest';
import { RecipeJsonCache } from '../../shared/app/recipe-json-cache.ts';
import { renderRecipe, type RecipeResponse } from '../../shared/app/recipe-rendering.ts';
import { resourceDecider } from '../../shared/domain/resource/resource-decider.ts';
import { resourceStreamId } from '../../shared/domain/resource/resource-identity.ts';
import { parseRecipe } from '../../shared/domain/recipe/recipe.ts';
import type { RecipeView } from '../../shared/ports/recipe-views.ts';

const AT = '2026-12-06T08:00:00.000Z';

/** The view of a resource just applied from `body`, frozen as memory views hold it unless `frozen` is false. */
function viewOf(body: { type: 'job' | 'deployment' | 'workspace'; spec: Record<string, unknown> }, frozen = true): RecipeView {
  const recipe = parseRecipe(body, { caller: 'ann' });
  const decider = resourceDecider(resourceStreamId(recipe.type, 'ann', recipe.spec.name));
  const events = decider.decide({ kind: 'ApplyRecipe', ...recipe, createOnly: false, at: AT, actor: 'ann' }, decider.initialState);
  const state = events.reduce(decider.evolve, decider.initialState);
  const view: RecipeView = { resource: state.live!, version: events.length };
  return frozen ? deepFreeze(view) : view;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** The SSH port a workspace's access names: it may change while its view does not. */
let port = 2222;

/** Renders as the resource service does at `now`, counting the renders. */
function counting(now: () => Date) {
  const counter = {
    renders: 0,
    render: (view: RecipeView): RecipeResponse => {
      counter.renders++;
      return renderRecipe(view.resource, view.version, { now: now(), routeUrl: (s) => `http://${s}.localhost/`, shellAccess: () => `ssh -p ${port} lab.ann@localhost` });
    },
  };
  return counter;
}

describe('RecipeJsonCache', () => {
  it('serialises a frozen view once, as rendering it now would', () => {
    // Prepare
    const cache = new RecipeJsonCache();
    const view = viewOf({ type: 'deployment', spec: { name: 'api', command: 'serve' } });
    const counter = counting(() => new Date(AT));

    // Act
    const texts = [cache.text(view, counter.render), cache.text(view, counter.render), cache.text(view, counter.render)];

    // Assess
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toBe(JSON.stringify(counter.render(view)));
    expect(counter.renders).toBe(1 + 1);
  });

  it('serialises a replaced view afresh: a changed resource is listed as it is now', () => {
    // Prepare
    const cache = new RecipeJsonCache();
    const counter = counting(() => new Date(AT));
    const before = viewOf({ type: 'job', spec: { name: 'train', command: 'python train.py' } });
    cache.text(before, counter.render);

    // Act
    const after = viewOf({ type: 'job', spec: { name: 'train', command: 'python train.py --epochs 3' } });

    // Assess
    expect(JSON.parse(cache.text(after, counter.render)).spec.command).toBe('python train.py --epochs 3');
  });

  it('serialises a scheduled job at every call: its next runs move with the clock', () => {
    // Prepare
    const cache = new RecipeJsonCache();
    let now = new Date(AT);
    const counter = counting(() => now);
    const view = viewOf({ type: 'job', spec: { name: 'nightly', command: 'true', schedule: '0 * * * *' } });
    const first = JSON.parse(cache.text(view, counter.render)).state.next_runs[0];

    // Act
    now = new Date(Date.parse(AT) + 3_600_000);
    const later = JSON.parse(cache.text(view, counter.render)).state.next_runs[0];

    // Assess
    expect(first).toBe('2026-12-06T09:00:00.000Z');
    expect(later).toBe('2026-12-06T10:00:00.000Z');
  });

  it('serialises a workspace with SSH at every call: how a shell is reached is not in its view', () => {
    // Prepare
    const cache = new RecipeJsonCache();
    const counter = counting(() => new Date(AT));
    const view = viewOf({ type: 'workspace', spec: { name: 'lab', start_ssh: true } });
    port = 2222;
    cache.text(view, counter.render);

    // Act
    port = 2233;
    const text = cache.text(view, counter.render);
    port = 2222;

    // Assess
    expect(JSON.parse(text).state.ssh).toBe('ssh -p 2233 lab.ann@localhost');
  });

  it('serialises a view that is not frozen at every call: it may be changed in place', () => {
    // Prepare
    const cache = new RecipeJsonCache();
    const counter = counting(() => new Date(AT));
    const view = viewOf({ type: 'deployment', spec: { name: 'api', command: 'serve' } }, false);

    // Act
    cache.text(view, counter.render);
    cache.text(view, counter.render);

    // Assess
    expect(counter.renders).toBe(2);
  });
});
