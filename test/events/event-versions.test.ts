import { limitEventSchemas } from '../../events/limit-events.ts';
import { subdomainEventSchemas } from '../../events/subdomain-events.ts';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { versioningOf, EVENT_VERSIONS, UnknownEventError, upcast, type EventVersioning } from '../../events/event-versions.ts';
import { resourceEventSchemas } from '../../events/resource-events.ts';
import { principalEventSchemas, tokenEventSchemas } from '../../events/principal-events.ts';
import { runEventSchemas } from '../../events/run-events.ts';
import { catalogObjectEventSchemas } from '../../events/catalog-object-events.ts';
import { EVENT_SCHEMAS } from '../../events/event-schemas.ts';
import { sshKeyClaimEventSchemas, sshKeyEventSchemas } from '../../events/ssh-key-events.ts';

// A synthetic history of one event: v1 had `size` in GiB, v2 renamed it to `memory_gib`, v3 moved it to MiB.
const diskResizedV3 = z.object({ memory_mib: z.number(), unit: z.literal('MiB') });
const registry: Record<string, EventVersioning> = {
  DiskResized: {
    version: 3,
    upcasters: {
      1: (data) => ({ memory_gib: (data as { size: number }).size }),
      2: (data) => ({ memory_mib: (data as { memory_gib: number }).memory_gib * 1024, unit: 'MiB' }),
    },
  },
  Gappy: { version: 3, upcasters: { 1: (data) => data } },
};

describe('upcast', () => {
  it('applies every upcaster from the stored version to the current one, in order', () => {
    // Act
    const data = upcast('DiskResized', 1, { size: 2 }, registry);

    // Assess
    expect(data).toEqual({ memory_mib: 2048, unit: 'MiB' });
    expect(diskResizedV3.safeParse(data).success).toBe(true);
  });

  it('applies only the upcasters after the stored version', () => {
    expect(upcast('DiskResized', 2, { memory_gib: 4 }, registry)).toEqual({ memory_mib: 4096, unit: 'MiB' });
  });

  it('returns data of the current version as it is', () => {
    const data = { memory_mib: 512, unit: 'MiB' };
    expect(upcast('DiskResized', 3, data, registry)).toBe(data);
  });

  it('refuses an event type the registry does not know', () => {
    expect(() => upcast('DiskShrunk', 1, {}, registry)).toThrow(UnknownEventError);
    expect(() => versioningOf('DiskShrunk', registry)).toThrow(/not a known event type/);
  });

  it('refuses a stored version without an upcaster to the next one', () => {
    expect(() => upcast('Gappy', 1, {}, registry)).toThrow(UnknownEventError);
    expect(() => upcast('Gappy', 1, {}, registry)).toThrow(/from version 2/);
  });

  it('reads the real catalog by default', () => {
    expect(upcast('ResourceFailed', 1, { reason: 'oom' })).toEqual({ reason: 'oom' });
    expect(() => upcast('DiskResized', 1, { size: 1 })).toThrow(UnknownEventError);
  });
});

describe('EVENT_VERSIONS', () => {
  it('holds every resource, principal, token, run, catalog object, subdomain, SSH key and usage limit event', () => {
    const types = [
      ...Object.keys(resourceEventSchemas),
      ...Object.keys(principalEventSchemas),
      ...Object.keys(tokenEventSchemas),
      ...Object.keys(runEventSchemas),
      ...Object.keys(catalogObjectEventSchemas),
      ...Object.keys(subdomainEventSchemas),
      ...Object.keys(sshKeyEventSchemas),
      ...Object.keys(sshKeyClaimEventSchemas),
      ...Object.keys(limitEventSchemas),
    ];
    expect(Object.keys(EVENT_VERSIONS).sort()).toEqual(types.sort());
    expect(Object.keys(EVENT_SCHEMAS).sort()).toEqual(types.sort());
  });

  it('gives every event a version with an upcaster from each older one', () => {
    for (const [type, entry] of Object.entries(EVENT_VERSIONS)) {
      expect(entry.version, type).toBeGreaterThanOrEqual(1);
      for (let v = 1; v < entry.version; v++) expect(entry.upcasters[v], `${type} v${v}`).toBeTypeOf('function');
    }
  });
});
