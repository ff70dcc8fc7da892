/**
 * A cluster's TLS credentials as distributed uses them: mutual TLS where every endpoint
 * presents the member certificate and trusts only the cluster's CA, hostname checks off
 * (distributed's own TLS contexts set `check_hostname = False`: members are reached by IP).
 * Real handshakes over loopback with node:tls (OpenSSL, as Python's `ssl`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { makeDaskClusterCredentials, type DaskClusterCredentials } from '../../../shared/app/dask-tls/dask-cluster-credentials.ts';
import { waitUntil } from '../../support/wait-until.ts';

const CLUSTER_A = 'aa'.repeat(12) + '00000001';
const CLUSTER_B = 'bb'.repeat(12) + '00000001';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A scheduler stand-in: serves with the member certificate and requires a client certificate from the cluster's CA. */
async function serve(credentials: DaskClusterCredentials): Promise<{ port: number; accepted: string[]; refused: string[] }> {
  const accepted: string[] = [];
  const refused: string[] = [];
  const server = createServer({ ca: credentials.ca, cert: credentials.cert, key: credentials.key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, (socket) => {
    accepted.push(String(socket.getPeerCertificate().subject.CN));
    socket.end('hello');
  });
  server.on('tlsClientError', (error) => refused.push(error.message));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, accepted, refused };
}

/** A worker or client stand-in: presents `credentials` (or none) and trusts their CA only. */
function handshake(port: number, credentials: Partial<DaskClusterCredentials> & Pick<DaskClusterCredentials, 'ca'>): Promise<{ ok: true; data: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, ...credentials, checkServerIdentity: () => undefined, minVersion: 'TLSv1.2' });
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data === 'hello' ? { ok: true, data } : { ok: false, error: 'closed without a greeting' }));
    socket.on('error', (error) => resolve({ ok: false, error: error.message }));
  });
}

describe('makeDaskClusterCredentials', () => {
  it('makes a CA and a member certificate it signed, for serving and connecting, and no CA key', () => {
    // Act
    const credentials = makeDaskClusterCredentials(CLUSTER_A, new Date('2026-12-06T05:00:00Z'));

    // Assess
    expect(Object.keys(credentials).sort()).toEqual(['ca', 'cert', 'key']);
    const ca = new X509Certificate(credentials.ca);
    const member = new X509Certificate(credentials.cert);
    expect(ca.ca).toBe(true);
    expect(member.ca).toBe(false);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(member.checkIssued(ca)).toBe(true);
    expect(member.verify(ca.publicKey)).toBe(true);
    expect(member.checkPrivateKey(createPrivateKey(credentials.key))).toBe(true);
    expect(member.subject).toContain(CLUSTER_A);
    expect(member.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(new Date(member.validFrom).getTime()).toBeLessThan(Date.parse('2026-12-06T05:00:00Z'));
    expect(new Date(member.validTo).getUTCFullYear()).toBe(2036);
    expect(credentials.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('makes new keys every time: two clusters share nothing', () => {
    // Act
    const a = makeDaskClusterCredentials(CLUSTER_A);
    const again = makeDaskClusterCredentials(CLUSTER_A);

    // Assess
    expect(again.ca).not.toBe(a.ca);
    expect(again.key).not.toBe(a.key);
    expect(new X509Certificate(again.cert).checkIssued(new X509Certificate(a.ca))).toBe(false);
  });
});

describe('a cluster’s credentials in a TLS handshake', () => {
  it('complete a mutual-TLS handshake between two members of the cluster', async () => {
    // Prepare
    const a = makeDaskClusterCredentials(CLUSTER_A);
    const scheduler = await serve(a);

    // Act
    const outcome = await handshake(scheduler.port, a);

    // Assess
    expect(outcome).toEqual({ ok: true, data: 'hello' });
    expect(scheduler.accepted).toEqual([`Cassini Dask cluster ${CLUSTER_A} member`]);
  });

  it('refuse a client whose certificate another cluster’s CA signed', async () => {
    // Prepare
    const a = makeDaskClusterCredentials(CLUSTER_A);
    const b = makeDaskClusterCredentials(CLUSTER_B);
    const scheduler = await serve(a);

    // Act: B's member, trusting A's CA (it knows the scheduler's certificate), presents its own certificate.
    const outcome = await handshake(scheduler.port, { ca: a.ca, cert: b.cert, key: b.key });

    // Assess
    expect(outcome.ok).toBe(false);
    await waitUntil('the scheduler to report the refused certificate', () => scheduler.refused.length, (n) => n > 0);
    expect(scheduler.refused).toHaveLength(1);
    expect(scheduler.accepted).toEqual([]);
  });

  it('refuse a client without a certificate', async () => {
    // Prepare
    const a = makeDaskClusterCredentials(CLUSTER_A);
    const scheduler = await serve(a);

    // Act
    const outcome = await handshake(scheduler.port, { ca: a.ca });

    // Assess
    expect(outcome.ok).toBe(false);
    expect(scheduler.accepted).toEqual([]);
  });

  it('refuse, as a client, a scheduler whose certificate another cluster’s CA signed', async () => {
    // Prepare
    const a = makeDaskClusterCredentials(CLUSTER_A);
    const b = makeDaskClusterCredentials(CLUSTER_B);
    const foreign = await serve(b);

    // Act
    const outcome = await handshake(foreign.port, a);

    // Assess
    expect(outcome).toMatchObject({ ok: false });
    expect(foreign.accepted).toEqual([]);
  });
});
