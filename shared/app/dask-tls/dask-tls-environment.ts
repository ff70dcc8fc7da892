/**
 * How a task tells distributed to speak TLS with its cluster's credentials: dask reads its
 * configuration from `DASK_*` variables (`__` nests, `_` and `-` are the same), so these set
 * `distributed.comm.require-encryption` (no plain `tcp://` connection is made or accepted) and
 * `distributed.comm.tls.{ca-file, scheduler, worker, client}`. Every role points at the same
 * member certificate and key (dask-cluster-credentials.ts). The scheduler's address is `tls://`.
 *
 * Variables hold paths, never keys: the runtimes write the files (0600, readable by the task's
 * user only) before the command starts, locally into the task's private directory, on ECS from
 * injected secrets by the start-up prelude (shared/adapters/aws/dask/dask-tls-secrets.ts).
 */

/** The files a task holds, in the directory the runtime chose. */
export const DASK_TLS_FILES = { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' } as const;

export const DASK_REQUIRE_ENCRYPTION_VARIABLE = 'DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION';
export const DASK_TLS_CA_VARIABLE = 'DASK_DISTRIBUTED__COMM__TLS__CA_FILE';
const ROLES = ['SCHEDULER', 'WORKER', 'CLIENT'] as const;

/** The variables for credentials written to `dir` (a host path locally, a shell expansion in the ECS prelude). */
export function daskTlsEnvironment(dir: string): Record<string, string> {
  const environment: Record<string, string> = {
    [DASK_REQUIRE_ENCRYPTION_VARIABLE]: 'True',
    [DASK_TLS_CA_VARIABLE]: `${dir}/${DASK_TLS_FILES.ca}`,
  };
  for (const role of ROLES) {
    environment[`DASK_DISTRIBUTED__COMM__TLS__${role}__CERT`] = `${dir}/${DASK_TLS_FILES.cert}`;
    environment[`DASK_DISTRIBUTED__COMM__TLS__${role}__KEY`] = `${dir}/${DASK_TLS_FILES.key}`;
  }
  return environment;
}
