/**
 * Whose subdomain is it? A deployment's or workspace's default subdomain is `<name>-<owner>`,
 * so a subdomain ending in `-<p>`, for a user or group `p`, is reserved for resources owned by
 * `p`: no one else may take it, whether by setting `subdomain` (or a route's) or through a
 * default of their own (`report-al` owned by `ice` defaults to `report-al-ice`, which is user
 * `al-ice`'s default for `report`). When several suffixes name principals, the longest wins, so
 * `report-al-ice` belongs to `al-ice`, not `ice`. Subdomains are lower-case DNS labels (the
 * recipe schema refuses others), so case cannot dodge the rule.
 *
 * Pure: which suffixes name a user or group is looked up by the caller.
 */
import type { FieldIssue } from '../errors.ts';

/** Every `p` with `subdomain` = `<something>-<p>`, longest first. */
export function ownerSuffixes(subdomain: string): string[] {
  const suffixes: string[] = [];
  for (let i = subdomain.indexOf('-'); i >= 0; i = subdomain.indexOf('-', i + 1)) {
    const suffix = subdomain.slice(i + 1);
    if (suffix.length > 0) suffixes.push(suffix);
  }
  return suffixes;
}

/** The principal a subdomain is reserved for: its longest suffix that names one, if any. */
export function reservedFor(subdomain: string, isPrincipal: (name: string) => boolean): string | undefined {
  return ownerSuffixes(subdomain).find(isPrincipal);
}

/** The issue with a resource owned by `owner` using `subdomain` (named at `path`), if it is reserved for another. */
export function reservationIssue(subdomain: string, path: string, owner: string, isPrincipal: (name: string) => boolean): FieldIssue | undefined {
  const reservee = reservedFor(subdomain, isPrincipal);
  if (reservee === undefined || reservee === owner) return undefined;
  return {
    path,
    message: `"${subdomain}" ends in "-${reservee}" and is reserved for resources owned by ${reservee} (default subdomains are <name>-<owner>); choose a subdomain that does not end in another user's or group's name`,
  };
}

/** The spec field that gives a resource `subdomain`: its `subdomain`, a route's, or (a route's default) the routes. */
export function subdomainField(spec: { subdomain?: string; routes?: Array<{ subdomain?: string }> }, subdomain: string): string {
  if (spec.subdomain === subdomain) return 'spec.subdomain';
  const index = (spec.routes ?? []).findIndex((route) => route.subdomain === subdomain);
  return index >= 0 ? `spec.routes[${index}].subdomain` : 'spec.routes';
}
