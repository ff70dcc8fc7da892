/**
 * A recipe as a template (Saturn's `as_template=true`): what applies elsewhere, under another
 * name, owner or type, as `SaturnConnection.clone` does. It has no `state` (ids, status, times,
 * URLs) and none of the defaults the platform derived from the name and owner (a deployment's
 * or workspace's subdomain `<name>-<owner>`, which a copy would collide with). The list fields
 * the client edits in place are present, if empty: `clone` reads `spec.git_repositories`
 * without a default when it turns a job or deployment into a workspace.
 */
import { defaultSubdomain } from './recipe.ts';

export interface RecipeTemplate {
  schema_version: string;
  type: string;
  spec: Record<string, unknown>;
}

export function recipeTemplate(recipe: { schema_version: string; type: string; spec: Record<string, unknown> }): RecipeTemplate {
  const { subdomain, ...spec } = recipe.spec;
  const derived = typeof spec.name === 'string' && typeof spec.owner === 'string' && subdomain === defaultSubdomain(spec.name, spec.owner);
  return {
    schema_version: recipe.schema_version,
    type: recipe.type,
    spec: { ...spec, ...(subdomain === undefined || derived ? {} : { subdomain }), git_repositories: spec.git_repositories ?? [] },
  };
}
