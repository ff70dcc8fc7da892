/** Turns zod issues into the API's `details` list: one entry per bad field, by dotted path. */
import type * as z from 'zod';
import type { FieldIssue } from '../errors.ts';

function joinPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  const parts = [prefix, ...path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter((p) => p !== '');
  return parts.join('.').replace(/\.\[/g, '[');
}

/** The value at `path` in what was validated; undefined where it is absent. */
function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let node = input;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** How a type zod expected reads in a message. */
const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  record: 'an object',
};

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  // Only an integer field refuses a number, and then for its fraction.
  if (typeof value === 'number') return Number.isFinite(value) ? 'a number with a fraction' : 'a number';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** "is required" only for a field that is absent; a field of the wrong type is told the type it must have (never its value, which may be secret). */
function typeMessage(expected: string, given: unknown): string {
  if (given === undefined) return 'is required';
  if (typeof given === 'number' && expected !== 'int') return `must be ${EXPECTED[expected] ?? expected}, not a number`;
  return `must be ${EXPECTED[expected] ?? expected}, not ${kindOf(given)}`;
}

function rangeMessage(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): string {
  const most = issue.code === 'too_big';
  const bound = String(most ? issue.maximum : issue.minimum);
  const word = most ? 'at most' : 'at least';
  switch (issue.origin) {
    case 'string':
      return `must be ${word} ${bound} characters long`;
    case 'array':
    case 'set':
      return `must have ${word} ${bound} entries`;
    case 'number':
    case 'int':
    case 'bigint':
      return `must be ${word} ${bound}`;
    default:
      return issue.message;
  }
}

/** `input` is what was validated: it tells an absent field from one of the wrong type. */
export function fieldIssues(error: z.ZodError, prefix = '', input?: unknown): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: joinPath(prefix, [...issue.path, key]), message: 'unknown field' });
    } else if (issue.code === 'invalid_union') {
      out.push({ path: joinPath(prefix, issue.path), message: 'does not match any accepted form of this field' });
    } else if (issue.code === 'invalid_type') {
      out.push({ path: joinPath(prefix, issue.path), message: typeMessage(issue.expected, valueAt(input, issue.path)) });
    } else if (issue.code === 'invalid_key') {
      // A map key that fails its own schema: say why, at the key's path.
      out.push({ path: joinPath(prefix, issue.path), message: issue.issues[0]?.message ?? issue.message });
    } else if (issue.code === 'too_big' || issue.code === 'too_small') {
      out.push({ path: joinPath(prefix, issue.path), message: rangeMessage(issue) });
    } else {
      out.push({ path: joinPath(prefix, issue.path), message: issue.message });
    }
  }
  return out;
}
