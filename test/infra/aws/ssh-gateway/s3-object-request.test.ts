/**
 * The gateway's S3 request, signed with Node's crypto alone (s3-object-request.ts), against the
 * AWS SDK's own Signature Version 4 signer for S3 (what S3 itself verifies): the same request
 * signed at the same moment must carry the same Authorization header.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { signedS3GetObject } from '../../../../infra/aws/ssh-gateway/s3-object-request.ts';

const bytes = (data: string | ArrayBuffer | ArrayBufferView): Buffer | string => (typeof data === 'string' ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data));

/** The SDK signer's hash: SHA-256, or HMAC-SHA-256 keyed by `secret` for its derived keys. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

const credentials = { accessKeyId: 'ASIAEXAMPLEKEYID1234', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE+/=token' };
const object = { bucket: 'cdk-hnb659fds-assets-123456789012-eu-west-1', key: '3f0e1c2d4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff.cjs', region: 'eu-west-1' };
const now = new Date('2026-12-06T07:58:09.123Z');

describe('signedS3GetObject', () => {
  it('signs a GetObject as the AWS SDK signs it for S3 (Signature Version 4, with the session token)', async () => {
    // Act
    const ours = signedS3GetObject(object, credentials, now);
    const signer = new SignatureV4({ credentials, region: object.region, service: 's3', sha256: NodeSha256, uriEscapePath: false });
    const theirs = await signer.sign(
      { method: 'GET', protocol: 'https:', hostname: ours.hostname, path: ours.path, query: {}, headers: { host: ours.hostname, 'x-amz-content-sha256': ours.headers['x-amz-content-sha256']! } },
      { signingDate: now },
    );

    // Assess
    expect(ours.hostname).toBe(`${object.bucket}.s3.eu-west-1.amazonaws.com`);
    expect(ours.headers['x-amz-date']).toBe('20261206T075809Z');
    expect(ours.headers.authorization).toBe(theirs.headers.authorization);
  });

  it('signs without a session token too, and a changed key changes the signature', () => {
    const plain = signedS3GetObject(object, { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }, now);
    expect(plain.headers['x-amz-security-token']).toBeUndefined();
    expect(plain.headers.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date,');
    expect(signedS3GetObject({ ...object, key: 'other.cjs' }, credentials, now).headers.authorization).not.toBe(signedS3GetObject(object, credentials, now).headers.authorization);
  });
});
