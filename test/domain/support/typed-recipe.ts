/**
 * `parseRecipe` for tests that know the type they write: the result is typed as that type's
 * recipe, so a test reads `spec.schedule` of a job without narrowing first.
 */
import { parseRecipe, type RecipeContext } from '../../../shared/domain/recipe/recipe.ts';
import type { ResourceType } from '../../../shared/domain/recipe/spec-schemas.ts';
import type { SpecOf, TypedSpec } from '../../../shared/domain/recipe/spec-types.ts';

type Body<T extends ResourceType> = { type: T; spec: Record<string, unknown>; schema_version?: string };

export function typedRecipe(body: Body<'job'>, context: RecipeContext): { type: 'job'; spec: SpecOf<'job'> };
export function typedRecipe(body: Body<'deployment'>, context: RecipeContext): { type: 'deployment'; spec: SpecOf<'deployment'> };
export function typedRecipe(body: Body<'workspace'>, context: RecipeContext): { type: 'workspace'; spec: SpecOf<'workspace'> };
export function typedRecipe(body: Body<ResourceType>, context: RecipeContext): TypedSpec {
  const parsed = parseRecipe(body, context);
  if (parsed.type !== body.type) throw new Error(`a ${body.type} recipe parsed as a ${parsed.type}`);
  return parsed;
}
