/**
 * How the gateway's code reaches its container without an image of its own (no Docker at
 * synth): the stack uploads the bundle as an S3 asset, and the container, a pinned public
 * Node.js image, runs this small loader (inlined in its command, as the edge sidecar's code is)
 * which fetches that one object with the task role's credentials, checks its SHA-256 against the
 * one the task definition pins, and only then runs it. A changed or replaced object is refused:
 * what runs is what was synthesized.
 *
 * Settings (the task definition's environment): GATEWAY_CODE_BUCKET, GATEWAY_CODE_KEY,
 * GATEWAY_CODE_SHA256, AWS_REGION; the credentials come from ECS's container endpoint
 * (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, "Amazon ECS task IAM role", Amazon ECS Developer Guide).
 */
import { createHash } from 'node:crypto';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createRequire } from 'node:module';
import { signedS3GetObject, type TemporaryCredentials } from './s3-object-request.ts';

/** Where ECS serves a task's role credentials to its containers. */
const CONTAINER_CREDENTIALS_HOST = '169.254.170.2';

function body(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks)));
    response.once('error', reject);
  });
}

async function containerCredentials(relativeUri: string): Promise<TemporaryCredentials> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => httpGet({ host: CONTAINER_CREDENTIALS_HOST, path: relativeUri, timeout: 5_000 }, resolve).once('error', reject));
  const parsed = JSON.parse((await body(response)).toString('utf8')) as { AccessKeyId?: string; SecretAccessKey?: string; Token?: string };
  if (!parsed.AccessKeyId || !parsed.SecretAccessKey) throw new Error('the container credentials endpoint gave no credentials');
  return { accessKeyId: parsed.AccessKeyId, secretAccessKey: parsed.SecretAccessKey, ...(parsed.Token ? { sessionToken: parsed.Token } : {}) };
}

/** The code, if its SHA-256 is the pinned one; else an error (which ends the container). */
export function verifiedCode(code: Buffer, sha256: string): string {
  const actual = createHash('sha256').update(code).digest('hex');
  if (actual !== sha256) throw new Error(`the gateway's code has SHA-256 ${actual}, not the ${sha256} its task definition pins: refusing to run it`);
  return code.toString('utf8');
}

/** Runs a verified CommonJS bundle; Node's built-ins are all a bundle requires. */
export function runCommonJs(code: string, filename: string): void {
  const module = { exports: {} };
  new Function('require', 'module', 'exports', '__filename', '__dirname', code)(createRequire(`${process.cwd()}/`), module, module.exports, filename, '/');
}

export async function loadGateway(env: NodeJS.ProcessEnv): Promise<void> {
  const need = (name: string) => env[name] || (() => { throw new Error(`${name} must be set`); })();
  const object = { bucket: need('GATEWAY_CODE_BUCKET'), key: need('GATEWAY_CODE_KEY'), region: need('AWS_REGION') };
  const credentials = await containerCredentials(need('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'));
  const signed = signedS3GetObject(object, credentials, new Date());
  const response = await new Promise<IncomingMessage>((resolve, reject) => httpsGet({ host: signed.hostname, path: signed.path, headers: signed.headers, timeout: 30_000 }, resolve).once('error', reject));
  const code = await body(response);
  if (response.statusCode !== 200) throw new Error(`S3 answered ${response.statusCode} for s3://${object.bucket}/${object.key}`);
  runCommonJs(verifiedCode(code, need('GATEWAY_CODE_SHA256')), object.key);
}
