/**
 * What a parsed body may hold, checked in one walk without recursion: how deep it nests, how
 * large it is once parsed, and that its text is text.
 *
 * Size is measured on the parsed document, not only on the bytes sent: a YAML alias (`*a`)
 * repeats its anchor's whole value wherever it is used, so a 187 KB body can stand for
 * megabytes. The walk counts each use again, as storing the document would, and stops as soon
 * as the limit is passed, so a document built to expand exponentially costs no more than the
 * limit to measure. The measure is the document's length as compact JSON with strings counted
 * unescaped, never more than the bytes of the JSON that was sent: a JSON body within the byte
 * limit is always within this one.
 *
 * A JSON escape can spell half of a UTF-16 surrogate pair (`"\ud800"`), which is no character:
 * stored as UTF-8 it would silently become U+FFFD. Such a string is refused by its path.
 */

export interface BodyLimits {
  maxBytes: number;
  maxDepth: number;
}

export type BodyProblem = { kind: 'too-deep' } | { kind: 'too-large' } | { kind: 'not-text'; path: string };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Bytes of a scalar as compact JSON (strings without their escapes). */
function scalarBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value) + 2;
  if (value === undefined) return 0;
  return String(value).length;
}

function childPath(parent: string, key: string, inList: boolean): string {
  if (inList) return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/** The first problem found, or undefined when the body is within the limits. */
export function parsedBodyProblem(body: unknown, limits: BodyLimits): BodyProblem | undefined {
  let bytes = 0;
  const stack: Array<[value: unknown, depth: number, path: string]> = [[body, 1, '']];
  while (stack.length > 0) {
    const [node, depth, path] = stack.pop()!;
    if (typeof node !== 'object' || node === null) {
      if (typeof node === 'string' && LONE_SURROGATE.test(node)) return { kind: 'not-text', path: path || 'body' };
      bytes += scalarBytes(node);
    } else {
      if (depth > limits.maxDepth) return { kind: 'too-deep' };
      const inList = Array.isArray(node);
      const entries = Object.entries(node);
      // `{}` or `[]`, a comma between entries, and `"key":` for each member of an object.
      bytes += 2 + Math.max(entries.length - 1, 0);
      for (const [key, child] of entries) {
        const at = childPath(path, key, inList);
        if (!inList) {
          if (LONE_SURROGATE.test(key)) return { kind: 'not-text', path: at };
          bytes += Buffer.byteLength(key) + 3;
        }
        stack.push([child, depth + 1, at]);
      }
    }
    if (bytes > limits.maxBytes) return { kind: 'too-large' };
  }
  return undefined;
}
