/**
 * The decoding boundary of specs: a spec read back from a resource's events, taken as the spec
 * of that resource's type. It is trusted rather than checked again because of how it got
 * there: the resource decider records only specs `parseRecipe` validated and normalized for
 * the stream's type, and a stream's type never changes (it is part of the stream's id).
 * Validating again on every replay would cost each cold start the schemas' construction and
 * would reject what older rules accepted.
 */
import type { ResourceType } from './spec-schemas.ts';
import type { SpecOf } from './spec-types.ts';

export function storedSpec<T extends ResourceType>(_type: T, recorded: Record<string, unknown>): SpecOf<T> {
  return recorded as SpecOf<T>;
}
