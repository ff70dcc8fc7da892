/** Default subdomains (`<name>-<owner>`) are reserved for their owner (issue 19, item 11). */
import { describe, expect, it } from 'vitest';
import { ownerSuffixes, reservationIssue, reservedFor, subdomainField } from '../../../shared/domain/resource/reserved-subdomains.ts';

const PRINCIPALS = new Set(['alice', 'ice', 'al-ice', 'bob']);
const isPrincipal = (name: string) => PRINCIPALS.has(name);

describe('reserved subdomains', () => {
  it('reads every "-<name>" suffix, longest first', () => {
    expect(ownerSuffixes('report-al-ice')).toEqual(['al-ice', 'ice']);
    expect(ownerSuffixes('plain')).toEqual([]);
  });

  it('reserves a subdomain for the principal its longest suffix names, so dashes in names cannot dodge it', () => {
    expect(reservedFor('report-alice', isPrincipal)).toBe('alice');
    expect(reservedFor('report-al-ice', isPrincipal)).toBe('al-ice');
    expect(reservedFor('web-bob-8050', isPrincipal)).toBeUndefined();
    expect(reservedFor('report-for-everyone', isPrincipal)).toBeUndefined();
  });

  it('lets the owner use its own, and names the field and the owner for anyone else', () => {
    expect(reservationIssue('report-al-ice', 'spec.subdomain', 'al-ice', isPrincipal)).toBeUndefined();
    expect(reservationIssue('report-al-ice', 'spec.subdomain', 'ice', isPrincipal)).toEqual({
      path: 'spec.subdomain',
      message: expect.stringContaining('"report-al-ice" ends in "-al-ice" and is reserved for resources owned by al-ice'),
    });
  });

  it("names the field a subdomain comes from: the spec's, a route's, or the routes for a route's default", () => {
    const spec = { subdomain: 'web-bob', routes: [{ container_port: 8050, subdomain: 'dash-bob' }, { container_port: 9000 }] };
    expect(['web-bob', 'dash-bob', 'web-bob-9000'].map((s) => subdomainField(spec, s))).toEqual(['spec.subdomain', 'spec.routes[0].subdomain', 'spec.routes']);
  });
});
