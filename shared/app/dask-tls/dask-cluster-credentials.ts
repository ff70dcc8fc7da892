/**
 * The TLS credentials of one Dask cluster: a certificate authority of its own and one member
 * certificate and key, signed by it, that the scheduler, the workers and the client in the
 * owning resource's tasks all present (distributed's `Security`: a cluster-specific CA, every
 * endpoint verified against it, mutual authentication). Another cluster's members hold a
 * certificate of another CA, which this cluster refuses.
 *
 * The CA's private key signs the member certificate and is then dropped: it is never stored,
 * so no one, a member included, can mint another certificate this cluster would accept.
 *
 * Keys are ECDSA P-256 (node:crypto); certificates are written with our own DER writer (der.ts).
 * Values are PEM: what OpenSSL, hence Python's `ssl` and so distributed, reads.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  namedBits,
  objectIdentifier,
  octetString,
  pem,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.ts';

export interface DaskClusterCredentials {
  /** The cluster's CA certificate (PEM): the only authority its members trust. */
  ca: string;
  /** The member certificate (PEM), for serving and for connecting. */
  cert: string;
  /** The member certificate's private key (PKCS #8 PEM). */
  key: string;
}

/**
 * Long, on purpose: the credentials end with the cluster (deleted when it stops), and the CA
 * that signed them cannot sign again; an expiry would only break a long-running workspace's
 * cluster in mid-life.
 */
export const DASK_CERTIFICATE_DAYS = 3650;
/** notBefore this far back, so a member whose clock is a little behind accepts a fresh certificate. */
const CLOCK_SKEW_MS = 60 * 60_000;
const DAY_MS = 86_400_000;

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** KeyUsage bit numbers (RFC 5280, 4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** Makes a fresh CA and member certificate for the cluster of `resourceId`; its names appear in the certificates' subjects. */
export function makeDaskClusterCredentials(resourceId: string, now: Date = new Date()): DaskClusterCredentials {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const member = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(now.getTime() + DASK_CERTIFICATE_DAYS * DAY_MS);
  const caName = name(`Cassini Dask cluster ${resourceId} CA`);
  const caKeyId = keyIdentifier(ca.publicKey);
  const caCertificate = certificate({
    issuer: caName,
    subject: caName,
    subjectKey: ca.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      // Strict verifiers (OpenSSL's X509_STRICT, on by default from Python 3.13) want a critical basicConstraints and a key identifier on a CA.
      extension(OID.basicConstraints, true, sequence(boolean(true), smallInteger(0))),
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, octetString(caKeyId)),
    ],
  });
  const memberCertificate = certificate({
    issuer: caName,
    subject: name(`Cassini Dask cluster ${resourceId} member`),
    subjectKey: member.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature])),
      // Every member both serves (scheduler, worker) and connects (worker, client).
      extension(OID.extendedKeyUsage, false, sequence(objectIdentifier(OID.serverAuth), objectIdentifier(OID.clientAuth))),
      extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(member.publicKey))),
      extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, caKeyId))),
    ],
  });
  return {
    ca: pem('CERTIFICATE', caCertificate),
    cert: pem('CERTIFICATE', memberCertificate),
    key: member.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

interface CertificateParts {
  issuer: Buffer;
  subject: Buffer;
  subjectKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

/** An X.509 v3 certificate (RFC 5280, 4.1), signed with ECDSA over SHA-256. */
function certificate(parts: CertificateParts): Buffer {
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    // Positive and at most 20 bytes (RFC 5280, 4.1.2.2): 16 random bytes with the top bit cleared.
    unsignedInteger(serialNumber()),
    algorithm,
    parts.issuer,
    sequence(time(parts.notBefore), time(parts.notAfter)),
    parts.subject,
    parts.subjectKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...parts.extensions)),
  );
  const signature = sign('sha256', tbs, { key: parts.signingKey, dsaEncoding: 'der' });
  return sequence(tbs, algorithm, bitString(signature));
}

function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes;
}

function name(commonName: string): Buffer {
  return sequence(set(sequence(objectIdentifier(OID.commonName), utf8String(commonName))));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** RFC 5280's method 1: SHA-1 of the subjectPublicKey bits (the uncompressed EC point). */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return createHash('sha1').update(point).digest();
}
