/**
 * How a recipe listing is ordered and continued, whichever adapter holds the views: entries sort
 * as `owner#type#name`, and a cursor names the owner reached and the last key returned, bound to
 * the query it belongs to, so the in-memory and the DynamoDB views page alike.
 */
import { createHash } from 'node:crypto';
import type { RecipeKey, RecipePage, RecipeQuery, RecipeView } from '../ports/recipe-views.ts';
import { InvalidCursorError } from '../ports/recipe-views.ts';
import { RESOURCE_TYPES } from '../domain/recipe/spec-schemas.ts';

export interface Cursor {
  /** Index into the owners list (0 for an `all` listing). */
  o: number;
  /** LastEvaluatedKey's sort key within that owner. */
  k: string | null;
  /** Fingerprint of the query the cursor belongs to: a cursor only continues its own listing. */
  q: string;
}

export function queryFingerprint(query: RecipeQuery, owners: Array<string | null>): string {
  return createHash('sha256').update(JSON.stringify([owners, query.type ?? null, query.namePrefix ?? null])).digest('base64url').slice(0, 12);
}

export function sortKey(key: RecipeKey): string {
  return `${key.owner}#${key.type}#${key.name}`;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(value: string, fingerprint: string): Cursor {
  let parsed: Cursor;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw new InvalidCursorError('next_key is not one this server issued');
  }
  const valid =
    typeof parsed === 'object' && parsed !== null &&
    Number.isInteger(parsed.o) && parsed.o >= 0 &&
    (parsed.k === null || typeof parsed.k === 'string') &&
    parsed.q === fingerprint;
  if (!valid) throw new InvalidCursorError('next_key is not one this server issued for this listing');
  return parsed;
}

/** The key a sort key was made from; undefined for one this code did not write. */
export function parseSortKey(sk: string): RecipeKey | undefined {
  const [owner, type, name, ...rest] = sk.split('#');
  if (rest.length > 0 || !owner || !name || !RESOURCE_TYPES.includes(type as RecipeKey['type'])) return undefined;
  return { owner, type: type as RecipeKey['type'], name };
}

/** Where a listing starts: the owners it walks (in name order; one `null` for all), its fingerprint, and its cursor. */
function listingStart(query: RecipeQuery): { owners: Array<string | null>; fingerprint: string; cursor: Cursor } {
  const owners = query.owners === 'all' ? [null] : [...query.owners].sort();
  const fingerprint = queryFingerprint(query, owners);
  return { owners, fingerprint, cursor: query.cursor ? decodeCursor(query.cursor, fingerprint) : { o: 0, k: null, q: fingerprint } };
}

/**
 * The sort-key prefix one owner's part of a listing covers (all keys for `null`). A cursor whose
 * key lies outside it was forged, and is refused.
 */
function ownerRange(owner: string | null, query: RecipeQuery, cursor: Cursor): string {
  const prefix = owner === null ? '' : `${owner}#${query.type ? `${query.type}#${query.namePrefix ?? ''}` : ''}`;
  if (cursor.k !== null && !cursor.k.startsWith(prefix)) throw new InvalidCursorError('next_key is not one this server issued for this listing');
  return prefix;
}

/**
 * One step of a listing within one owner's range: up to `limit` views after the key `after` (from
 * the start of the range when null), and the last key looked at when the step stopped before the
 * range's end (null when it reached the end).
 */
export type OwnerStep = (owner: string | null, prefix: string, after: string | null, limit: number) => Promise<{ views: RecipeView[]; last: string | null }>;

/** A page of a listing: owner after owner, step after step, until the page is full or the owners run out. */
export async function listPage(query: RecipeQuery, step: OwnerStep): Promise<RecipePage> {
  const { owners, fingerprint: q, cursor: start } = listingStart(query);
  let cursor = start;
  const views: RecipeView[] = [];
  while (cursor.o < owners.length) {
    const owner = owners[cursor.o]!;
    const taken = await step(owner, ownerRange(owner, query, cursor), cursor.k, query.pageSize - views.length);
    views.push(...taken.views);
    cursor = taken.last ? { o: cursor.o, k: taken.last, q } : { o: cursor.o + 1, k: null, q };
    if (views.length >= query.pageSize) break;
  }
  return { views, cursor: cursor.o < owners.length ? encodeCursor(cursor) : null };
}
