/**
 * A task's attachments (shared/ports/task-driver.ts `TaskAttachments`) as ECS task definition
 * parts. Pure: what needs an AWS call first (a shared folder's EFS access point, a per-task
 * token secret) comes in resolved, so the same rendering serves jobs and services and is part
 * of the definition's content hash (ecs-task-definitions.ts): changed attachments, new family.
 *
 * - Secrets as environment variables: `secrets` of the main container, `valueFrom` the secret's
 *   full ARN under the platform prefix (resolved with DescribeSecret, secret-arns.ts: a partial
 *   ARN is ambiguous for names ending in `-` and six characters), read by ECS with the execution role. The value is in no definition, override or event.
 * - Secrets as files: the same injection into `CASSINI_SECRET_FILE_<n>`, then the start-up
 *   prelude writes each to its file (0600) and unsets the variable before the user's script.
 * - A Dask cluster's TLS credentials, for a task of the cluster or of its resource: its secret's
 *   keys injected, then written to private files by the same prelude, first of all
 *   (shared/adapters/aws/dask/dask-tls-task-parts.ts).
 * - Config files and extra packages: written and installed by the same prelude, in that order,
 *   before the start script (as locally: infra/local/process-driver/task-preparation.ts).
 * - Git repositories: an init container (`git`, essential false, a small git image) clones each
 *   into a volume the main container mounts at the checkout's path; the main container depends
 *   on it with condition SUCCESS, so a failed clone fails the task before the command starts,
 *   and the clone's output goes to the task log group (stream `<family>/git/<task>`). With a
 *   workspace home the checkout goes into the home itself, so `preserve changes` keeps it.
 * - Shared folders: an EFS volume per folder through its access point, with transit encryption
 *   and IAM authorization by the task role, read-only for ReadOnlyMany folders.
 *
 * Where the prelude lives: the main container's entry point is `sh -c <prelude> ; exec sh -c "$0"`,
 * and the container's command (RunTask's override for jobs, the definition's for services) is the
 * user's script, which arrives as `$0`. Without anything to prepare the entry point stays `sh -c`.
 */
import { posix } from 'node:path';
import type { ContainerDefinition, ContainerDependency, MountPoint, Secret, Volume } from '@aws-sdk/client-ecs';
import type { CatalogRef, FolderMount, GitCheckout, TaskAttachments } from '../../../ports/task-driver.ts';
import { HOME_GID, HOME_UID } from '../storage/efs-home-volumes.ts';
import type { SecretArns } from '../secrets/secret-arns.ts';
import { daskTlsContainerSecrets, daskTlsPreludeLines } from '../dask/dask-tls-task-parts.ts';

/** The init container that clones a task's repositories. */
export const GIT_CONTAINER = 'git';
/** A small image with git and ssh, pinned by exact version tag (a digest cannot be looked up offline); the stack may name another (context `gitImage`, env `GIT_IMAGE`). */
export const DEFAULT_GIT_IMAGE = 'alpine/git:2.45.2';
/** The variable that carries the n-th file secret until the prelude writes it out. */
export const SECRET_FILE_VARIABLE = 'CASSINI_SECRET_FILE_';
/** The variable that carries the n-th repository's deploy key into the init container. */
export const DEPLOY_KEY_VARIABLE = 'CASSINI_DEPLOY_KEY_';
const CONTAINER_HOME = '/home/jovyan';
/** Where the init container sees the n-th checkout's volume when it is not in the home. */
const GIT_STAGING = '/cassini/git';

/** What the renderer needs besides the attachments. */
export interface AttachmentSettings {
  /** `arn:<partition>:secretsmanager:<region>:<account>:secret:<platform prefix>`; a secret's ARN is this plus `<owner>/<name>`. */
  secretArnPrefix: string;
  gitImage: string;
  /** The platform's EFS file system: shared folders' access points are on it. */
  fileSystemId?: string;
}

/** Attachments with what their rendering needs resolved. */
export interface ResolvedAttachments extends Omit<TaskAttachments, 'sharedFolders' | 'platformTokenFor' | 'taskRoleArn'> {
  sharedFolders?: Array<FolderMount & { accessPointId: string }>;
  /** The ARN of the secret holding the task's SATURN_TOKEN (task-token-secrets.ts). */
  platformTokenSecretArn?: string;
  /** Full ARNs of the attached secrets (deploy keys included) by `<owner>/<name>` (secret-arns.ts); a secret not here is named by its partial ARN. */
  secretArns?: Record<string, string>;
  /** The name, under the platform prefix, of the TLS credentials of the Dask cluster the task belongs to or reaches (`daskTlsSecretPath`). */
  daskTlsSecret?: string;
}

/** What the attachments add to a task definition. */
export interface DefinitionAttachments {
  /** The main container's entry point (`sh -c` plus the prelude), if it has anything to prepare. */
  entryPoint?: string[];
  secrets: Secret[];
  mountPoints: MountPoint[];
  dependsOn: ContainerDependency[];
  /** Containers that run before the main one (the git init container). */
  initContainers: ContainerDefinition[];
  volumes: Volume[];
}

/** Where the home of a service's task is, if it has one: checkouts go there. */
export interface HomeVolume {
  volumeName: string;
  mountPath: string;
}

export function shellQuote(text: string): string {
  return /^[\w.,:=+@%/~-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A spec's path (absolute under /home/jovyan, or relative to it) as an absolute container path. */
export function containerPath(path: string): string {
  return posix.resolve(CONTAINER_HOME, path.replace(/^~(?=\/|$)/, CONTAINER_HOME));
}

/** The key of a secret in ResolvedAttachments.secretArns. */
export function secretKey(ref: CatalogRef): string {
  return `${ref.owner}/${ref.name}`;
}

export function secretArn(ref: CatalogRef, settings: Pick<AttachmentSettings, 'secretArnPrefix'>, resolved?: Record<string, string>): string {
  return resolved?.[secretKey(ref)] ?? `${settings.secretArnPrefix}${ref.owner}/${ref.name}`;
}

/** The install commands of `extra_packages`, in the local driver's order: apt, conda, pip, cran. */
export function installCommands(packages: NonNullable<TaskAttachments['extraPackages']>): string[] {
  const names = (list: string[]) => list.map(shellQuote).join(' ');
  const commands: string[] = [];
  // apt needs root; Saturn images let jovyan use sudo, a root image has no sudo.
  if (packages.apt?.length) commands.push(`{ if [ "$(id -u)" = 0 ]; then apt-get update && apt-get install -y ${names(packages.apt)}; else sudo -n apt-get update && sudo -n apt-get install -y ${names(packages.apt)}; fi; }`);
  if (packages.conda?.length) {
    const channels = (packages.condaChannels ?? []).flatMap((c) => ['-c', shellQuote(c)]).join(' ');
    commands.push(`${packages.useMamba ? 'mamba' : 'conda'} install -y ${channels ? `${channels} ` : ''}${names(packages.conda)}`);
  }
  if (packages.pip?.length) commands.push(`pip install ${names(packages.pip)}`);
  if (packages.cran?.length) {
    const vector = packages.cran.map((p) => JSON.stringify(p)).join(', ');
    commands.push(`Rscript -e ${shellQuote(`install.packages(c(${vector}), repos = "https://cloud.r-project.org")`)}`);
  }
  return commands;
}

/**
 * The shell that runs before the user's script: a Dask cluster's TLS credentials, file secrets (0600, variable unset), config
 * files with their mode, then the package installs. Any failure exits non-zero, so the task
 * fails before the command runs. Undefined when there is nothing to prepare.
 */
export function startupPrelude(attachments: ResolvedAttachments): string | undefined {
  // First: the start script and packages may already talk to the cluster.
  const lines: string[] = attachments.daskTlsSecret ? daskTlsPreludeLines() : [];
  const files = (attachments.secrets ?? []).flatMap((s) => (s.as === 'file' ? [s] : []));
  files.forEach((secret, n) => {
    const path = shellQuote(containerPath(secret.path));
    const variable = `${SECRET_FILE_VARIABLE}${n}`;
    lines.push(`(umask 077 && mkdir -p "$(dirname ${path})" && printf '%s' "$${variable}" > ${path} && chmod 600 ${path}) || { echo "cassini: could not write secret ${secret.owner}/${secret.name} to ${containerPath(secret.path)}" >&2; exit 1; }`);
    lines.push(`unset ${variable}`);
  });
  for (const file of attachments.configFiles ?? []) {
    const path = shellQuote(containerPath(file.path));
    lines.push(`(mkdir -p "$(dirname ${path})" && printf '%s' ${shellQuote(file.content)} > ${path} && chmod ${file.mode.toString(8).padStart(4, '0')} ${path}) || { echo "cassini: could not write config file ${containerPath(file.path)}" >&2; exit 1; }`);
  }
  for (const command of attachments.extraPackages ? installCommands(attachments.extraPackages) : []) {
    lines.push(`${command} || { echo "cassini: extra packages failed: ${command.replaceAll('"', "'")}" >&2; exit 1; }`);
  }
  if (lines.length === 0) return undefined;
  // The user's script is $0 (the container command); exec keeps it the init process's only child.
  return [...lines, 'exec sh -c "$0"'].join('\n');
}

/** The shell the init container runs: each repository cloned at its reference, owned by the image's user. */
export function cloneScript(checkouts: Array<{ checkout: GitCheckout; destination: string; volumeRoot: boolean; deployKeyVariable?: string }>): string {
  const lines: string[] = [];
  checkouts.forEach(({ checkout, destination, volumeRoot, deployKeyVariable }, n) => {
    const dest = shellQuote(destination);
    const url = shellQuote(checkout.url);
    const shown = checkout.url.replaceAll('"', "'");
    const ssh = deployKeyVariable
      ? `printf '%s\\n' "$${deployKeyVariable}" > /tmp/deploy-key-${n} && chmod 600 /tmp/deploy-key-${n} && export GIT_SSH_COMMAND="ssh -i /tmp/deploy-key-${n} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/tmp/known_hosts" && `
      : '';
    const reference = checkout.reference;
    const clone =
      reference === undefined
        ? `git clone ${url} ${dest}`
        : checkout.referenceType === 'commit'
          ? `git clone ${url} ${dest} && git -C ${dest} checkout --detach ${shellQuote(reference)}`
          : `git clone --branch ${shellQuote(reference)} ${url} ${dest}`;
    // A volume's root exists and is empty (and cannot be removed); a checkout in a home may be left from the last start.
    const fresh = volumeRoot ? '' : `rm -rf ${dest} && mkdir -p ${dest} && `;
    const body =
      `{ echo "cassini: cloning ${shown} into ${destination}" && ${ssh}${fresh}${clone}; } || { echo "cassini: cloning ${shown} failed" >&2; exit 1; }\n` +
      `chown -R ${HOME_UID}:${HOME_GID} ${dest} 2>/dev/null || true`;
    lines.push(checkout.onRestart === 'preserve changes' && !volumeRoot ? `if [ -d ${dest}/.git ]; then echo "cassini: keeping the checkout in ${destination}"; else\n${body}\nfi` : body);
    if (deployKeyVariable) lines.push(`rm -f /tmp/deploy-key-${n}; unset GIT_SSH_COMMAND ${deployKeyVariable}`);
  });
  return lines.join('\n');
}

/**
 * The definition parts of `attachments`. `logging` is the main container's log configuration:
 * the init container logs to the same group under its own name.
 */
export function renderAttachments(
  attachments: ResolvedAttachments | undefined,
  settings: AttachmentSettings,
  context: { logConfiguration: ContainerDefinition['logConfiguration']; home?: HomeVolume },
): DefinitionAttachments {
  const parts: DefinitionAttachments = { secrets: [], mountPoints: [], dependsOn: [], initContainers: [], volumes: [] };
  if (!attachments) return parts;
  let fileSecrets = 0;
  for (const secret of attachments.secrets ?? []) {
    const name = secret.as === 'environment_variable' ? secret.variable : `${SECRET_FILE_VARIABLE}${fileSecrets++}`;
    parts.secrets.push({ name, valueFrom: secretArn(secret, settings, attachments.secretArns) });
  }
  if (attachments.platformTokenSecretArn) parts.secrets.push({ name: 'SATURN_TOKEN', valueFrom: attachments.platformTokenSecretArn });
  if (attachments.daskTlsSecret) parts.secrets.push(...daskTlsContainerSecrets(settings.secretArnPrefix, attachments.daskTlsSecret));

  const prelude = startupPrelude(attachments);
  if (prelude) parts.entryPoint = ['sh', '-c', prelude];

  (attachments.sharedFolders ?? []).forEach((folder, n) => {
    if (!settings.fileSystemId) throw new Error('shared folders need the platform file system (FILE_SYSTEM_ID)');
    const volumeName = `folder-${n}`;
    parts.volumes.push({
      name: volumeName,
      efsVolumeConfiguration: {
        fileSystemId: settings.fileSystemId,
        // With an access point the root directory is the access point's; ECS wants `/` here.
        rootDirectory: '/',
        transitEncryption: 'ENABLED',
        authorizationConfig: { accessPointId: folder.accessPointId, iam: 'ENABLED' },
      },
    });
    parts.mountPoints.push({ sourceVolume: volumeName, containerPath: containerPath(folder.path), readOnly: folder.readOnly });
  });

  const repositories = attachments.gitRepositories ?? [];
  if (repositories.length > 0) parts.initContainers.push(gitContainer(repositories, settings, context, parts, attachments.secretArns));
  return parts;
}

function gitContainer(
  repositories: GitCheckout[],
  settings: AttachmentSettings,
  context: { logConfiguration: ContainerDefinition['logConfiguration']; home?: HomeVolume },
  parts: DefinitionAttachments,
  resolvedArns: Record<string, string> | undefined,
): ContainerDefinition {
  const { home } = context;
  const gitMounts: MountPoint[] = home ? [{ sourceVolume: home.volumeName, containerPath: home.mountPath, readOnly: false }] : [];
  const gitSecrets: Secret[] = [];
  const checkouts = repositories.map((checkout, n) => {
    const path = containerPath(checkout.path);
    const inHome = home !== undefined && (path === home.mountPath || path.startsWith(`${home.mountPath}/`));
    let destination = path;
    if (!inHome) {
      // A volume of the task's own (ephemeral storage), cloned into by the init container and mounted at the path.
      const volumeName = `git-${n}`;
      destination = `${GIT_STAGING}/${n}`;
      parts.volumes.push({ name: volumeName });
      gitMounts.push({ sourceVolume: volumeName, containerPath: destination, readOnly: false });
      parts.mountPoints.push({ sourceVolume: volumeName, containerPath: path, readOnly: false });
    }
    const deployKeyVariable = checkout.deployKey ? `${DEPLOY_KEY_VARIABLE}${n}` : undefined;
    if (checkout.deployKey && deployKeyVariable) gitSecrets.push({ name: deployKeyVariable, valueFrom: secretArn(checkout.deployKey, settings, resolvedArns) });
    return { checkout, destination, volumeRoot: !inHome, ...(deployKeyVariable ? { deployKeyVariable } : {}) };
  });
  parts.dependsOn.push({ containerName: GIT_CONTAINER, condition: 'SUCCESS' });
  return {
    name: GIT_CONTAINER,
    image: settings.gitImage,
    // It only prepares: its successful exit must not stop the task (its failure does, through dependsOn).
    essential: false,
    entryPoint: ['sh', '-c'],
    command: [cloneScript(checkouts)],
    mountPoints: gitMounts,
    ...(gitSecrets.length > 0 ? { secrets: gitSecrets } : {}),
    ...(context.logConfiguration ? { logConfiguration: context.logConfiguration } : {}),
  };
}

/** What resolving attachments needs: the shared folders' access points, and the secrets' full ARNs. */
export interface AttachmentResolvers {
  folders?: { ensure(ref: CatalogRef): Promise<string> };
  /** Without it, secrets are named by their partial ARN. */
  secrets?: Pick<SecretArns, 'arnOf'>;
}

/**
 * A task's attachments ready for rendering: each shared folder with its access point (created on
 * first use), each secret with its full ARN. The task role goes to the definition's
 * `taskRoleArn`, not here. `platformTokenFor` is left out: a service's token secret
 * (task-token-secrets.ts) is wired by the caller, which sets `platformTokenSecretArn`; a job's
 * token comes as an environment file (task-token-files.ts), outside the definition.
 */
export async function resolveAttachments(attachments: TaskAttachments | undefined, resolvers: AttachmentResolvers): Promise<ResolvedAttachments | undefined> {
  if (!attachments) return undefined;
  const { sharedFolders, platformTokenFor: _token, taskRoleArn: _role, ...rest } = attachments;
  const refs = [...(rest.secrets ?? []), ...(rest.gitRepositories ?? []).flatMap((r) => (r.deployKey ? [r.deployKey] : []))];
  const { folders, secrets } = resolvers;
  const secretArns = secrets && refs.length > 0 ? Object.fromEntries(await Promise.all(refs.map(async (ref) => [secretKey(ref), await secrets.arnOf(ref)] as const))) : undefined;
  const withArns = secretArns ? { ...rest, secretArns } : rest;
  if (!sharedFolders?.length) return withArns;
  if (!folders) throw new Error('this platform has no file system for shared folders (FILE_SYSTEM_ID)');
  const resolved = await Promise.all(sharedFolders.map(async (folder) => ({ ...folder, accessPointId: await folders.ensure(folder) })));
  return { ...withArns, sharedFolders: resolved };
}
