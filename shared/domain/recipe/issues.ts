/** Turns zod issues into the API's `details` list: one entry per bad field, by dotted path. */
import type * as z from 'zod';
import type { FieldIssue } from '../errors.ts';

function joinPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  const parts = [prefix, ...path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter((p) => p !== '');
  return parts.join('.').replace(/\.\[/g, '[');
}

export function fieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: joinPath(prefix, [...issue.path, key]), message: 'unknown field' });
    } else if (issue.code === 'invalid_union') {
      out.push({ path: joinPath(prefix, issue.path), message: 'does not match any accepted form of this field' });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push({ path: joinPath(prefix, issue.path), message: 'is required' });
    } else {
      out.push({ path: joinPath(prefix, issue.path), message: issue.message });
    }
  }
  return out;
}
