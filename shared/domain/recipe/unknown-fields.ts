/**
 * Saturn's `enforce_unknown=false`: a recipe written for one resource type, applied as another
 * (`SaturnConnection.clone` turns a deployment into a job), carries fields the new type does not
 * know. With it, those fields are dropped and named instead of refused; every other problem is
 * still refused. Without it (the default) an unknown field is a validation error, as ever.
 */
import type * as z from 'zod';

const MAX_PASSES = 5;

function removeAt(root: Record<string, unknown>, path: ReadonlyArray<PropertyKey>, key: string): void {
  let node: unknown = root;
  for (const step of path) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<PropertyKey, unknown>)[step];
  }
  if (typeof node === 'object' && node !== null) delete (node as Record<string, unknown>)[key];
}

function pathText(prefix: string, path: ReadonlyArray<PropertyKey>, key: string): string {
  return [prefix, ...path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)), `.${key}`].join('').replace(/^\./, '');
}

/**
 * The spec without the fields `schema` does not know, and their paths (under `prefix`, e.g.
 * `spec.healthcheck`). The spec given is not changed.
 */
export function withoutUnknownFields(schema: z.ZodType, spec: Record<string, unknown>, prefix: string): { spec: Record<string, unknown>; dropped: string[] } {
  const copy = structuredClone(spec);
  const dropped: string[] = [];
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const result = schema.safeParse(copy);
    const unknown = result.success ? [] : result.error.issues.filter((issue) => issue.code === 'unrecognized_keys');
    if (unknown.length === 0) break;
    for (const issue of unknown) {
      for (const key of issue.keys) {
        removeAt(copy, issue.path, key);
        dropped.push(pathText(prefix, issue.path, key));
      }
    }
  }
  return { spec: copy, dropped };
}
