/**
 * A shared folder's id in Saturn's routes (`GET`/`DELETE /api/shared_folders/{id}`): its owner
 * and name joined by `.`. Neither a principal name (a DNS label) nor a catalog name may hold a
 * `.`, so the id reads back unambiguously, and a path segment holding one is never a bare name.
 */
const SEPARATOR = '.';

export function sharedFolderId(owner: string, name: string): string {
  return `${owner}${SEPARATOR}${name}`;
}

/** The owner and name an id holds, or undefined when the segment is a bare name. */
export function parseSharedFolderId(segment: string): { owner: string; name: string } | undefined {
  const at = segment.indexOf(SEPARATOR);
  if (at < 0) return undefined;
  return { owner: segment.slice(0, at), name: segment.slice(at + 1) };
}
