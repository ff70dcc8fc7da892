/**
 * A Dask cluster's TLS credentials in an ECS task (shared/app/dask-tls/): what the task
 * definition of the cluster's scheduler and workers, and of its resource's own tasks, adds.
 *
 * The credentials are one Secrets Manager secret per cluster, `<prefix><owner>/_dask-tls-<resource id>`
 * (dask-tls-secrets.ts), a JSON object `{ca, cert, key}`. The main container gets each key as a
 * secret variable (`valueFrom` `<secret ARN>:<json key>::`, injected by ECS with the execution
 * role), and the start-up prelude (ecs-attachments.ts) writes them to files of mode 0600 in a
 * fresh private directory (`mktemp -d`, outside the home, so never on a workspace's EFS home),
 * unsets the variables, and exports distributed's TLS variables pointing at the files before the
 * user's script runs. So no key is in a definition, an override, an event or a log line.
 *
 * The secret is named by its partial ARN (no random suffix), so a definition stays valid when the
 * cluster is stopped and started again with new credentials. Secrets Manager would read the last
 * seven characters of a partial ARN as a suffix if they were `-` and six characters; a name ending
 * in a 32-hex resource id never does (tested).
 *
 * Plain functions without an SDK client, so that rendering a definition does not load Secrets Manager.
 */
import type { Secret } from '@aws-sdk/client-ecs';
import type { TaskSpec } from '../../../ports/task-driver.ts';
import type { ResolvedAttachments } from '../tasks/ecs-attachments.ts';
import { daskTlsEnvironment, DASK_TLS_FILES } from '../../../app/dask-tls/dask-tls-environment.ts';
import { resourceSecretPath, type SecretResource } from '../secrets/resource-secret-path.ts';

/** Under the owner's folder of the platform prefix; a catalog name never starts with `_`, so no user secret is ever named so. */
export const DASK_TLS_SECRET_PREFIX = '_dask-tls-';

/** The cluster whose credentials a task carries: its resource, and that resource's owner. */
export type DaskTlsCluster = SecretResource;

/** The credentials' secret name under the platform prefix: `<owner>/_dask-tls-<resource id>`. */
export function daskTlsSecretPath(cluster: DaskTlsCluster): string {
  return resourceSecretPath(DASK_TLS_SECRET_PREFIX, cluster);
}

/** The variables that carry each JSON key of the secret until the prelude writes it out. */
export const DASK_TLS_SECRET_VARIABLES = { ca: 'CASSINI_DASK_TLS_CA', cert: 'CASSINI_DASK_TLS_CERT', key: 'CASSINI_DASK_TLS_KEY' } as const;

/** The main container's `secrets` for the credentials at `secretPath` (under the prefix of `secretArnPrefix`). */
export function daskTlsContainerSecrets(secretArnPrefix: string, secretPath: string): Secret[] {
  return (Object.keys(DASK_TLS_SECRET_VARIABLES) as Array<keyof typeof DASK_TLS_SECRET_VARIABLES>).map((key) => ({
    name: DASK_TLS_SECRET_VARIABLES[key],
    valueFrom: `${secretArnPrefix}${secretPath}:${key}::`,
  }));
}

/** The shell variable holding the task's credentials directory in the prelude. */
const DIR = 'cassini_dask_tls';

/**
 * The prelude's lines: a private directory, the three files (0600), the secret variables unset,
 * distributed's variables exported. A failure exits before the user's script, saying which step.
 */
export function daskTlsPreludeLines(): string[] {
  const { ca, cert, key } = DASK_TLS_SECRET_VARIABLES;
  const write = (variable: string, file: string) => `printf '%s' "$${variable}" > "$${DIR}/${file}"`;
  const exports = Object.entries(daskTlsEnvironment(`$${DIR}`)).map(([name, value]) => `${name}="${value}"`);
  return [
    `${DIR}=$(umask 077 && mktemp -d) && (umask 077 && ${write(ca, DASK_TLS_FILES.ca)} && ${write(cert, DASK_TLS_FILES.cert)} && ${write(key, DASK_TLS_FILES.key)} && chmod 600 "$${DIR}"/*) || { echo "cassini: could not write the Dask cluster's TLS credentials" >&2; exit 1; }`,
    `unset ${ca} ${cert} ${key}`,
    `export ${exports.join(' ')}`,
  ];
}

/**
 * The cluster whose credentials the tasks of one definition carry: the one they reach
 * (`TaskSpec.daskCluster`, set by the planner from the task's own resource, never from its
 * environment), owned by their `owner` label; undefined when they reach none.
 */
export function daskTlsClusterOf(specs: ReadonlyArray<Pick<TaskSpec, 'daskCluster' | 'labels'>>): DaskTlsCluster | undefined {
  const clusters = new Set(specs.flatMap((spec) => (spec.daskCluster ? [`${spec.labels.owner ?? ''}/${spec.daskCluster}`] : [])));
  if (clusters.size === 0) return undefined;
  // One definition serves these tasks: they must reach one cluster, or none.
  if (clusters.size > 1 || specs.some((spec) => !spec.daskCluster)) throw new Error(`tasks of one launch reach different Dask clusters: ${[...clusters].join(', ')}`);
  const [owner = '', resourceId = ''] = [...clusters][0]!.split('/');
  return { owner, resourceId };
}

/** `resolved` with the credentials of `cluster`, when the tasks belong to or reach one. */
export function withDaskTls(resolved: ResolvedAttachments | undefined, cluster: DaskTlsCluster | undefined): ResolvedAttachments | undefined {
  return cluster ? { ...resolved, daskTlsSecret: daskTlsSecretPath(cluster) } : resolved;
}
