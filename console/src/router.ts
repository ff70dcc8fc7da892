/**
 * Hash routes (`#/resources/deployment/<id>`): the platform serves one page at `/`, and a
 * reload or a shared link lands on the same view. Each route is a pattern of fixed segments
 * and `:params`; matching does not depend on the order of the table.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Match {
  name: string;
  params: Record<string, string>;
}

const ROUTES: Record<string, string> = {
  resources: '/resources',
  resource: '/resources/:kind/:id',
  create: '/new',
  catalog: '/catalog',
  tokens: '/tokens',
  users: '/admin/users',
  roles: '/admin/iam-roles',
};

export function match(path: string): Match | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const [name, pattern] of Object.entries(ROUTES)) {
    const want = pattern.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (want.every((segment, i) => (segment.startsWith(':') ? ((params[segment.slice(1)] = decodeURIComponent(parts[i]!)), true) : segment === parts[i]))) return { name, params };
  }
  return undefined;
}

export function href(path: string): string {
  return `#${path}`;
}

export function navigate(path: string): void {
  location.hash = path;
}

function currentPath(): string {
  return location.hash.replace(/^#/, '') || '/resources';
}

/** The current path, following the address bar. */
export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const follow = () => setPath(currentPath());
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return path;
}
