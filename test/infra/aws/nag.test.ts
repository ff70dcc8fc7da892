/**
 * cdk-nag's AwsSolutions pack over the whole app, in every shape it can take: no finding may be
 * left unacknowledged, every acknowledgement carries a reason, and none is stale (each one
 * silences a finding that would otherwise fail synth).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildCassini, DOMAIN_CONTEXT, EXISTING_VPC_CONTEXT, synthesize } from './support/synth.ts';
import type { CassiniApp } from '../../../infra/aws/cassini-app.ts';

interface Check {
  resource: string;
  ruleId: string;
}

// Records every acknowledged finding cdk-nag meets (isAcknowledged is how the pack asks).
const acknowledgedFindings: Check[] = [];
const pack = NagPack.prototype as unknown as { isAcknowledged(resource: IConstruct, ruleId: string): boolean };
const isAcknowledged = pack.isAcknowledged;
const spy = vi.spyOn(pack, 'isAcknowledged').mockImplementation(function (this: unknown, resource: IConstruct, ruleId: string) {
  const result = isAcknowledged.call(this, resource, ruleId);
  if (result) acknowledgedFindings.push({ resource: resource.node.path, ruleId });
  return result;
});
afterAll(() => spy.mockRestore());

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

function acknowledgementsIn(app: CassiniApp): Acknowledgement[] {
  return app.app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason }))),
  );
}

/** With a grant still to come (publishing on the bus) given to the reactor. */
function withLaterGrants(app: CassiniApp): CassiniApp {
  app.stack.integrations.grantPublish(app.stack.reactor);
  return app;
}

const SHAPES: Array<[string, () => CassiniApp]> = [
  ['no parameters', () => buildCassini()],
  ['domain, existing VPC, first admin', () => buildCassini({ ...DOMAIN_CONTEXT, ...EXISTING_VPC_CONTEXT, adminEmail: 'ops@example.com' })],
  ['domain and SSH entry point in a new VPC, with a grant to come', () => withLaterGrants(buildCassini({ ...DOMAIN_CONTEXT, sshPort: '22' }))],
];

describe('cdk-nag AwsSolutions', () => {
  it.each(SHAPES)('finds nothing unacknowledged (%s), and every acknowledgement silences a finding', (_shape, build) => {
    const app = build();
    acknowledgedFindings.length = 0;
    const report = app.nag.validateScope(app.app);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(() => synthesize(app)).not.toThrow();

    const stale = acknowledgementsIn(app)
      .filter((a) => a.id.startsWith('AwsSolutions-'))
      .filter((a) => !acknowledgedFindings.some((f) => f.ruleId === a.id && (f.resource === a.path || f.resource.startsWith(`${a.path}/`))));
    expect(stale.map((a) => `${a.id} at ${a.path}`)).toEqual([]);
  });

  it('gives every acknowledgement a reason a reviewer can check', () => {
    for (const [, build] of SHAPES) {
      for (const ack of acknowledgementsIn(build()).filter((a) => a.id.startsWith('AwsSolutions-'))) {
        expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(40);
      }
    }
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    const app = buildCassini();
    new s3.Bucket(app.stack, 'Unchecked');
    expect(() => synthesize(app)).toThrow(/AwsSolutions-S1[\s\S]*Unchecked|Unchecked[\s\S]*AwsSolutions-S1/);
  });
});
