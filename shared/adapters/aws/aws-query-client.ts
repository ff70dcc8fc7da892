/**
 * A client for AWS APIs that speak the Query protocol (EC2, IAM): a form body with `Action` and
 * `Version`, signed with Signature Version 4, an XML answer. Not the SDK's clients: `@aws-sdk/client-ec2`
 * alone is about 1.4 MB minified and `@aws-sdk/client-iam` several hundred KB, more than a Lambda
 * bundle has left (test/infra/aws/bundles.test.ts); the platform's calls need a form body, a
 * signature and a few XML fields read back.
 *
 * Errors come back as `AwsQueryError` named by the service's error code (`InvalidGroup.Duplicate`,
 * `EntityAlreadyExists`, ...), so `isNamed` (sdk-errors.ts) reads them like an SDK client's.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';

/** The service's answer to a refused call: `name` is its error code. */
export class AwsQueryError extends Error {
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

/** Reads the text of the first `<name>` element of an answer. */
export function xmlField(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export interface AwsQueryClientOptions {
  /** The signing name: `ec2`, `iam`. */
  service: string;
  /** The API version every call names. */
  version: string;
  /** The signing region (IAM, a global service, signs for us-east-1). */
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** The service's endpoint; tests point it at their own server. */
  endpoint: string;
}

export class AwsQueryClient {
  readonly #endpoint: URL;
  readonly #version: string;
  readonly #signer: SignatureV4;

  constructor(options: AwsQueryClientOptions) {
    this.#endpoint = new URL(options.endpoint);
    this.#version = options.version;
    this.#signer = new SignatureV4({ service: options.service, region: options.region, credentials: options.credentials, sha256: NodeSha256 });
  }

  /** Sends `Action` with `params` (already flattened to Query names); resolves to the answer's XML. */
  async call(action: string, params: Record<string, string>): Promise<string> {
    const body = new URLSearchParams({ Action: action, Version: this.#version, ...params }).toString();
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
    if (!response.ok) throw new AwsQueryError(xmlField(text, 'Code') ?? `Http${response.status}`, xmlField(text, 'Message') ?? `${action} answered ${response.status}`, response.status);
    return text;
  }
}
