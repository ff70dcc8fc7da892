/**
 * Builds the AWS app the way app.ts does (same context from cdk.json, same cdk-nag plugin) with
 * Lambda bundling skipped and CloudFormation's built-in template validation off, so a test
 * file synthesizes in a few seconds. `npm run synth` does both for real.
 */
import { Stack, type IResolvable } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import cdkJson from '../../../../cdk.json' with { type: 'json' };
import { createCassiniApp, type CassiniApp } from '../../../../infra/aws/cassini-app.ts';

export const REGION = 'eu-west-1';

/** A domain with certificate and hosted zone: the ingress is created. */
export const DOMAIN_CONTEXT = {
  region: REGION,
  domainName: 'apps.example.com',
  certificateArn: `arn:aws:acm:${REGION}:123456789012:certificate/0d1f5c2e-1111-2222-3333-444455556666`,
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
} as const;

/** An existing VPC, given by ids only, as `-c key=value` strings. */
export const EXISTING_VPC_CONTEXT = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  vpcAvailabilityZones: `${REGION}a,${REGION}b`,
  vpcPrivateSubnetIds: 'subnet-0aaaaaaaaaaaaaaa1,subnet-0aaaaaaaaaaaaaaa2',
  vpcPublicSubnetIds: 'subnet-0bbbbbbbbbbbbbbb1,subnet-0bbbbbbbbbbbbbbb2',
} as const;

export interface Synthesized extends CassiniApp {
  template: Template;
  /** The template as JSON. */
  json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }> };
}

/** The app, not yet synthesized: tests may add to it first (later Lambdas, grants). */
export function buildCassini(context: Record<string, unknown> = {}, options: { bundle?: boolean; outdir?: string } = {}): CassiniApp {
  return createCassiniApp({
    context: { ...cdkJson.context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context },
    builtinCloudFormationValidation: false,
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
}

export function synthesize(app: CassiniApp): Synthesized {
  const template = Template.fromStack(app.stack);
  return { ...app, template, json: template.toJSON() as Synthesized['json'] };
}

/**
 * Synthesized apps by context, newest use last. The `stack` lane reuses its workers between files
 * (vitest.config.ts), so files that read the same context share one synthesis; a few are kept,
 * since an app holds its whole construct tree.
 */
const synthesized = new Map<string, Synthesized>();
const KEPT_SYNTHESES = 4;

/** The synthesized app for a context, shared by every test that reads it (do not add to it: use buildCassini). */
export function synthCassini(context: Record<string, unknown> = {}): Synthesized {
  const key = JSON.stringify(context);
  const result = synthesized.get(key) ?? synthesize(buildCassini(context));
  synthesized.delete(key);
  synthesized.set(key, result);
  for (const oldest of synthesized.keys()) {
    if (synthesized.size <= KEPT_SYNTHESES) break;
    synthesized.delete(oldest);
  }
  return result;
}

/** The logical id of a construct's CloudFormation resource (the construct itself or its default child). */
export function logicalId(construct: IConstruct): string {
  const cfn = (construct.node.defaultChild ?? construct) as IConstruct;
  return Stack.of(construct).getLogicalId(cfn as never);
}

/** `{ "Fn::GetAtt": [id, attribute] }` as the template writes it. */
export function getAtt(construct: IConstruct, attribute = 'Arn'): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [logicalId(construct), attribute] };
}

export function ref(construct: IConstruct): { Ref: string } {
  return { Ref: logicalId(construct) };
}

/** A value as the template writes it. */
export function resolved(scope: IConstruct, value: string | IResolvable): unknown {
  return Stack.of(scope).resolve(value);
}
