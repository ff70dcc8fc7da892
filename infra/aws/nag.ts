/**
 * Acknowledging cdk-nag findings. A wildcard-resource finding (AwsSolutions-IAM5) is named
 * after the resource as the template spells it, which depends on the environment (a known
 * region is a literal, an unknown one `<AWS::Region>`): `acknowledgeWildcardResource` names
 * it the way cdk-nag does, from the ARN the code grants, so it holds in every environment.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/** The finding id cdk-nag reports for a wildcard resource granted in `scope`'s policies. */
export function wildcardResourceFinding(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resourceArn))}]`;
}

export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: wildcardResourceFinding(scope, resourceArn), reason });
}

/** Acknowledges a wildcard resource granted to `grantee` (on the grantee, or on its principal when that is a construct). */
export function acknowledgeGrantedWildcard(grantee: iam.IGrantable, resourceArn: string, reason: string): void {
  const scope = Construct.isConstruct(grantee) ? grantee : Construct.isConstruct(grantee.grantPrincipal) ? grantee.grantPrincipal : undefined;
  if (scope) acknowledgeWildcardResource(scope, resourceArn, reason);
}
