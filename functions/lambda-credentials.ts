/**
 * The AWS SDK's credential chain as the Lambda bundles have it (bundling aliases
 * `@aws-sdk/credential-provider-node` to this file: infra/aws/platform-function.ts). Lambda
 * always gives a function its role's credentials in environment variables, so the rest of the
 * default chain (SSO, ini files, process, web identity, container and instance metadata, with
 * the STS and SSO clients they carry) would only be ~130 KB of code to compile at every cold
 * start and never run. `npm run bench -- --only lambdas` measures the difference.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (): ReturnType<typeof fromEnv> => fromEnv();
