/**
 * The few EC2 API calls the platform makes (a Dask cluster's security group), through the
 * signed Query client (aws-query-client.ts): `@aws-sdk/client-ec2` alone is bigger than a Lambda
 * bundle may be.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsQueryClient, AwsQueryError } from '../aws-query-client.ts';

export { xmlField } from '../aws-query-client.ts';

/** The EC2 API version the calls are written against. */
export const EC2_API_VERSION = '2016-11-15';

/** EC2's answer to a refused call: `name` is its error code. */
export const Ec2ApiError = AwsQueryError;

export interface Ec2QueryClientOptions {
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Default `https://ec2.<region>.amazonaws.com`; tests point it at their own server. */
  endpoint?: string;
}

export class Ec2QueryClient extends AwsQueryClient {
  constructor(options: Ec2QueryClientOptions) {
    super({ service: 'ec2', version: EC2_API_VERSION, region: options.region, credentials: options.credentials, endpoint: options.endpoint ?? `https://ec2.${options.region}.amazonaws.com/` });
  }
}
