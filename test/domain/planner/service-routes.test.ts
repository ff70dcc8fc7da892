import { describe, expect, it } from 'vitest';
import { serviceRoutes } from '../../../shared/domain/planner/service-routes.ts';
import { CURRENT_SCHEMA_VERSION } from '../../../shared/domain/recipe/recipe.ts';
import { typedRecipe } from '../support/typed-recipe.ts';

function deploymentRoutes(routes: unknown[]) {
  const { spec } = typedRecipe({ schema_version: CURRENT_SCHEMA_VERSION, type: 'deployment', spec: { name: 'web', command: 'serve', routes } }, { caller: 'ann' });
  return serviceRoutes({ type: 'deployment', name: spec.name, owner: spec.owner, spec });
}

describe('serviceRoutes, cross-origin opt-in', () => {
  it('refuses pages of other origins by default: no route allows them unless its spec says so', () => {
    expect(deploymentRoutes([{ container_port: 9000, visibility: 'org' }])).toEqual([
      { subdomain: 'web-ann', containerPort: 8000, visibility: 'owner' },
      { subdomain: 'web-ann-9000', containerPort: 9000, visibility: 'org' },
    ]);
  });

  it('carries allow_cross_origin from the main route and from extra routes', () => {
    const routes = deploymentRoutes([
      { container_port: 8000, visibility: 'unauthenticated', allow_cross_origin: true },
      { container_port: 9000, allow_cross_origin: true },
      { container_port: 9001, allow_cross_origin: false },
    ]);

    expect(routes.map((r) => [r.containerPort, r.allowCrossOrigin ?? false])).toEqual([[8000, true], [9000, true], [9001, false]]);
  });
});
