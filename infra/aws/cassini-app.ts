/**
 * Builds the CDK app: reads the parameters from context, creates the stack and registers
 * cdk-nag's AwsSolutions pack as a validation plugin, so synthesis fails on any finding that
 * is not acknowledged (with a reason) in the construct that causes it. app.ts runs it; the
 * tests build the same app with bundling skipped.
 */
import { App, Tags, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CassiniStack } from './cassini-stack.ts';
import { ConfigError, platformConfigFromContext } from './config.ts';

export const STACK_NAME = 'Cassini';

export interface CassiniApp {
  app: App;
  stack: CassiniStack;
  nag: AwsSolutionsChecks;
}

/**
 * The stack is deployed wherever the CLI points (its region), and is otherwise environment-
 * agnostic: no account is baked in, so nothing is ever looked up (availability zones come from
 * `Fn::GetAZs`) and synth needs no credentials. `-c region=...` overrides the region.
 */
export function createCassiniApp(props: AppProps = {}): CassiniApp {
  const app = new App(props);
  const config = platformConfigFromContext(app.node);
  const region = (app.node.tryGetContext('region') as string | undefined) ?? process.env.CDK_DEFAULT_REGION;
  if (config.ingress && !region) throw new ConfigError('a domain needs a known region (set AWS_REGION, or -c region=...): load balancer access logging depends on it');
  const stack = new CassiniStack(app, STACK_NAME, { config, ...(region ? { env: { region } } : {}) });
  Tags.of(stack).add('project', 'cassini');
  const nag = new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true });
  Validations.of(app).addPlugins(nag);
  return { app, stack, nag };
}
