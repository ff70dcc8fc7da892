/**
 * A signed S3 GetObject request (AWS Signature Version 4, header form), made with Node's crypto
 * alone: the gateway's container starts from a public Node.js image with no AWS SDK and fetches
 * its code from the stack's asset bucket with its task role's credentials (bundle-loader.ts).
 * Signing process as "Create a signed AWS API request" (IAM User Guide, Signature Version 4)
 * gives it; test/infra/aws/ssh-gateway/s3-object-request.test.ts holds it to the SDK's signer.
 */
import { createHash, createHmac } from 'node:crypto';

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3ObjectRequest {
  hostname: string;
  path: string;
  headers: Record<string, string>;
}

/** SHA-256 of an empty payload: a GET sends none. */
const EMPTY_PAYLOAD_HASH = createHash('sha256').update('').digest('hex');

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** Each path segment percent-encoded as S3 expects (RFC 3986 unreserved characters kept). */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

export function signedS3GetObject(object: { bucket: string; key: string; region: string }, credentials: TemporaryCredentials, now: Date): S3ObjectRequest {
  const hostname = `${object.bucket}.s3.${object.region}.amazonaws.com`;
  const path = `/${encodeKey(object.key)}`;
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { host: hostname, 'x-amz-content-sha256': EMPTY_PAYLOAD_HASH, 'x-amz-date': amzDate };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalRequest = ['GET', path, '', ...names.map((name) => `${name}:${headers[name]}`), '', names.join(';'), EMPTY_PAYLOAD_HASH].join('\n');
  const scope = `${day}/${object.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), object.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return {
    hostname,
    path,
    headers: { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` },
  };
}
