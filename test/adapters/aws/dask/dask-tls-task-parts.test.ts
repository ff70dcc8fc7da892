/**
 * A Dask cluster's TLS credentials in an ECS task: the secret's name, the container's `secrets`
 * (the exact `valueFrom` ECS resolves), and the start-up prelude, run by a real shell as the
 * container's `sh -c` would run it, that turns the injected variables into private files and
 * distributed's variables.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startupPrelude } from '../../../../shared/adapters/aws/tasks/ecs-attachments.ts';
import { daskTlsClusterOf, daskTlsContainerSecrets, daskTlsSecretPath, withDaskTls } from '../../../../shared/adapters/aws/dask/dask-tls-task-parts.ts';
import { makeDaskClusterCredentials } from '../../../../shared/app/dask-tls/dask-cluster-credentials.ts';
import { catalogName } from '../../../../shared/domain/catalog/catalog-fields.ts';

const RESOURCE = 'ab'.repeat(12) + '00000001';
const ARN_PREFIX = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/';

describe('daskTlsSecretPath', () => {
  it('names the credentials under the owner’s folder, where no catalog name can go', () => {
    expect(daskTlsSecretPath({ owner: 'ann', resourceId: RESOURCE })).toBe(`ann/_dask-tls-${RESOURCE}`);
  });

  // "Finding a secret from a partial ARN" (AWS Secrets Manager User Guide, troubleshooting): a
  // partial ARN whose name ends in a hyphen and six characters is read as carrying the random
  // suffix. Task definitions name these secrets by partial ARN, so a name must never end so.
  it('never ends like a Secrets Manager suffix, so its partial ARN is unambiguous', () => {
    for (const resourceId of [RESOURCE, '0'.repeat(31) + '1', 'f'.repeat(32)]) {
      expect(daskTlsSecretPath({ owner: 'team-abcdef', resourceId })).not.toMatch(/-[A-Za-z0-9]{6}$/);
    }
  });

  it('is a name no user can give a secret, so none can be made, overwritten or attached in its place', () => {
    expect(catalogName.safeParse(`_dask-tls-${RESOURCE}`).success).toBe(false);
  });

  it('refuses an owner or a resource id that could reach out of the owner’s folder', () => {
    expect(() => daskTlsSecretPath({ owner: 'ann/../bob', resourceId: RESOURCE })).toThrow(/not an owner name/);
    expect(() => daskTlsSecretPath({ owner: 'ann', resourceId: 'x-AbCdEf' })).toThrow(/not a resource id/);
  });
});

describe('the container’s secrets', () => {
  // "Pass Secrets Manager secrets through Amazon ECS environment variables" (Amazon ECS
  // Developer Guide): a JSON key of a secret is `valueFrom` `<secret ARN>:<json-key>:<version-stage>:<version-id>`
  // (Fargate platform 1.4.0 or later, the default `LATEST`).
  it('takes each JSON key of the cluster’s secret by partial ARN', () => {
    expect(daskTlsContainerSecrets(ARN_PREFIX, `ann/_dask-tls-${RESOURCE}`)).toEqual([
      { name: 'CASSINI_DASK_TLS_CA', valueFrom: `${ARN_PREFIX}ann/_dask-tls-${RESOURCE}:ca::` },
      { name: 'CASSINI_DASK_TLS_CERT', valueFrom: `${ARN_PREFIX}ann/_dask-tls-${RESOURCE}:cert::` },
      { name: 'CASSINI_DASK_TLS_KEY', valueFrom: `${ARN_PREFIX}ann/_dask-tls-${RESOURCE}:key::` },
    ]);
  });

  it('gives tasks the credentials of the cluster their own resource reaches, by its owner, and no one else’s', () => {
    const task = (daskCluster?: string) => ({ labels: { owner: 'ann', resource: RESOURCE }, ...(daskCluster ? { daskCluster } : {}) });
    expect(daskTlsClusterOf([task(RESOURCE), task(RESOURCE)])).toEqual({ owner: 'ann', resourceId: RESOURCE });
    expect(daskTlsClusterOf([task()])).toBeUndefined();
    expect(withDaskTls(undefined, undefined)).toBeUndefined();
    expect(withDaskTls(undefined, { owner: 'ann', resourceId: RESOURCE })).toEqual({ daskTlsSecret: `ann/_dask-tls-${RESOURCE}` });
    // One definition serves a launch's tasks: they may not mix clusters.
    expect(() => daskTlsClusterOf([task(RESOURCE), task('cd'.repeat(16))])).toThrow(/different Dask clusters/);
  });
});

describe('the prelude, run by a real shell', () => {
  const credentials = makeDaskClusterCredentials(RESOURCE);
  const prelude = startupPrelude({ daskTlsSecret: `ann/_dask-tls-${RESOURCE}` })!;
  const injected = { CASSINI_DASK_TLS_CA: credentials.ca, CASSINI_DASK_TLS_CERT: credentials.cert, CASSINI_DASK_TLS_KEY: credentials.key };

  it('writes the credentials to private files, unsets the injected variables, and points distributed at the files', () => {
    // Prepare: mktemp honours TMPDIR; in the container it is /tmp, outside the (possibly persistent) home.
    const tmp = mkdtempSync(join(tmpdir(), 'dask-tls-prelude-'));

    // Act: the script prints what it sees.
    const out = execFileSync('/bin/sh', ['-c', prelude, 'env'], { env: { PATH: process.env.PATH, TMPDIR: tmp, ...injected }, encoding: 'utf8' });

    // Assess
    const seen = Object.fromEntries(out.trim().split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    expect(Object.keys(seen).filter((name) => name.startsWith('CASSINI_DASK_TLS'))).toEqual([]);
    const [dir] = readdirSync(tmp);
    const files = join(tmp, dir!);
    expect(statSync(files).mode & 0o777).toBe(0o700);
    expect(seen).toMatchObject({
      DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION: 'True',
      DASK_DISTRIBUTED__COMM__TLS__CA_FILE: `${files}/ca.pem`,
      DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__CERT: `${files}/cert.pem`,
      DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__KEY: `${files}/key.pem`,
      DASK_DISTRIBUTED__COMM__TLS__WORKER__CERT: `${files}/cert.pem`,
      DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY: `${files}/key.pem`,
      DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT: `${files}/cert.pem`,
      DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY: `${files}/key.pem`,
    });
    expect(readFileSync(`${files}/ca.pem`, 'utf8')).toBe(credentials.ca);
    expect(readFileSync(`${files}/cert.pem`, 'utf8')).toBe(credentials.cert);
    expect(readFileSync(`${files}/key.pem`, 'utf8')).toBe(credentials.key);
    for (const file of ['ca.pem', 'cert.pem', 'key.pem']) expect(statSync(`${files}/${file}`).mode & 0o777, file).toBe(0o600);
  });

  it('fails before the script when the files cannot be written, saying so and never printing a key', () => {
    // Act: TMPDIR where nothing can be made.
    const result = spawnSync('/bin/sh', ['-c', prelude, 'echo ran'], { env: { PATH: process.env.PATH, TMPDIR: '/nonexistent/dir', ...injected }, encoding: 'utf8' });

    // Assess
    expect(result.status).not.toBe(0);
    expect(result.stdout).not.toContain('ran');
    expect(result.stderr).toContain("cassini: could not write the Dask cluster's TLS credentials");
    expect(result.stderr + result.stdout).not.toContain('PRIVATE KEY');
  });
});
