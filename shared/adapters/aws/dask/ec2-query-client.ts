/**
 * The few EC2 API calls the platform makes (a Dask cluster's security group), sent as the EC2
 * Query protocol over HTTPS and signed with Signature Version 4. Not `@aws-sdk/client-ec2`: that
 * client is about 1.4 MB minified, more than a whole Lambda bundle may be (test/infra/aws/bundles.test.ts);
 * these calls need a form body, a signature and two XML fields read back.
 *
 * Errors come back as `Ec2ApiError` named by EC2's error code (`InvalidGroup.Duplicate`, ...), so
 * `isNamed` (sdk-errors.ts) reads them like an SDK client's.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';

/** The EC2 API version the calls are written against. */
export const EC2_API_VERSION = '2016-11-15';

/** EC2's answer to a refused call: `name` is its error code. */
export class Ec2ApiError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = code;
    this.$metadata = { httpStatusCode: status };
  }
}

/** SHA-256 (or HMAC-SHA-256 with a secret) as the signer wants it, from node:crypto. */
class NodeSha256 implements Checksum {
  readonly #secret: SourceData | undefined;
  #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#fresh();
  }
  #fresh() {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.#secret));
  }
  update(data: Uint8Array): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    this.#hash = this.#fresh();
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

export interface Ec2QueryClientOptions {
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Default `https://ec2.<region>.amazonaws.com`; tests point it at their own server. */
  endpoint?: string;
}

/** Reads the text of the first `<name>` element of an EC2 answer. */
export function xmlField(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export class Ec2QueryClient {
  readonly #endpoint: URL;
  readonly #signer: SignatureV4;

  constructor(options: Ec2QueryClientOptions) {
    this.#endpoint = new URL(options.endpoint ?? `https://ec2.${options.region}.amazonaws.com/`);
    this.#signer = new SignatureV4({ service: 'ec2', region: options.region, credentials: options.credentials, sha256: NodeSha256 });
  }

  /** Sends `Action` with `params` (already flattened to Query names); resolves to the answer's XML. */
  async call(action: string, params: Record<string, string>): Promise<string> {
    const body = new URLSearchParams({ Action: action, Version: EC2_API_VERSION, ...params }).toString();
    const url = this.#endpoint;
    const signed = await this.#signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
    const text = await response.text();
    if (!response.ok) throw new Ec2ApiError(xmlField(text, 'Code') ?? `Http${response.status}`, xmlField(text, 'Message') ?? `EC2 ${action} answered ${response.status}`, response.status);
    return text;
  }
}
