/**
 * What a task carries besides its command, read from a normalized spec: secrets by reference,
 * git checkouts, shared folders, config files, extra packages, the task role and the owner its
 * SATURN_TOKEN acts as. Pure: what it needs from the catalog (a shared folder's access mode,
 * the IAM role's ARN) comes in resolved, so jobs and services plan attachments the same way.
 * Secret values never pass through here: only owner and name travel in plans and task specs.
 */
import type { CatalogRef, FolderMount, GitCheckout, SecretMount, TaskAttachments } from './task-spec.ts';
import { resolveOwnerName } from '../recipe/owner-name.ts';
import type { ExtraPackages, GitRepository, PackageList, ResourceSpec, SecretAttachment } from '../recipe/spec-types.ts';

/** What the catalog says about the objects a spec attaches, resolved by the caller. */
export interface AttachmentCatalogFacts {
  /** The ARN of the registered IAM role the spec names in `iam_role`. */
  taskRoleArn?: string;
  /** Shared folders registered `ReadOnlyMany`, as `<owner>/<name>`; any other folder is read-write. */
  readOnlyFolders?: readonly string[];
}

const HOME = '/home/jovyan';
const DEFAULT_CONFIG_FILE_MODE = 0o644;

/**
 * A file secret attached here is an SSH private key, and git uses it for the spec's private
 * repositories (ssh reads keys from the passwd home, not $HOME, so it must be told).
 */
const SSH_KEY_LOCATION = /^(?:\/home\/jovyan\/|~\/)?\.ssh\/id_[A-Za-z0-9_-]+$/;

/** A repository as a spec may hold it: `path` and `on_restart` are absent from specs recorded before normalization filled them in. */
type RecordedRepository = Partial<GitRepository> & Pick<GitRepository, 'url'>;

/** What attaching reads of a spec: the fields every resource type shares. */
export type AttachingSpec = Pick<ResourceSpec, 'secrets' | 'shared_folders' | 'config_files' | 'extra_packages'> & { git_repositories?: RecordedRepository[] };

/** The key every shared folder is known by in `AttachmentCatalogFacts.readOnlyFolders`. */
export function folderKey(ref: CatalogRef): string {
  return `${ref.owner}/${ref.name}`;
}

/** The catalog objects a spec attaches that planning needs facts about: its shared folders. */
export function attachedFolders(spec: Pick<ResourceSpec, 'shared_folders'>, owner: string): CatalogRef[] {
  return (spec.shared_folders ?? []).map((f) => ({ owner: resolveOwnerName(f.owner ?? owner), name: f.name }));
}

/** The task attachments of a resource owned by `owner` whose spec is `spec`. */
export function planAttachments(spec: AttachingSpec, owner: string, facts: AttachmentCatalogFacts = {}): TaskAttachments {
  const secrets = (spec.secrets ?? []).map((s) => secretMount(s, owner));
  const deployKey = secrets.find((s): s is Extract<SecretMount, { as: 'file' }> => s.as === 'file' && SSH_KEY_LOCATION.test(s.path));
  const repositories = (spec.git_repositories ?? []).map((r) => gitCheckout(r, deployKey));
  const readOnly = new Set(facts.readOnlyFolders ?? []);
  const folders = (spec.shared_folders ?? []).map((folder): FolderMount => {
    const ref = { owner: resolveOwnerName(folder.owner ?? owner), name: folder.name };
    return { ...ref, path: folder.path ?? `${HOME}/shared/${ref.owner}/${ref.name}`, readOnly: readOnly.has(folderKey(ref)) };
  });
  const configFiles = Object.entries(spec.config_files ?? {}).map(([path, file]) => ({ path, content: file.content, mode: fileMode(file.mode) }));
  const packages = extraPackages(spec.extra_packages);
  return {
    ...(secrets.length > 0 ? { secrets } : {}),
    ...(repositories.length > 0 ? { gitRepositories: repositories } : {}),
    ...(folders.length > 0 ? { sharedFolders: folders } : {}),
    ...(configFiles.length > 0 ? { configFiles } : {}),
    ...(packages ? { extraPackages: packages } : {}),
    ...(facts.taskRoleArn ? { taskRoleArn: facts.taskRoleArn } : {}),
    platformTokenFor: owner,
  };
}

function secretMount(secret: SecretAttachment, owner: string): SecretMount {
  const ref = { owner: resolveOwnerName(secret.owner ?? owner), name: secret.name };
  return secret.attachment_type === 'environment_variable' ? { ...ref, as: 'environment_variable', variable: secret.location } : { ...ref, as: 'file', path: secret.location };
}

/** The last part of a repository URL without `.git`: `git@host:org/tools.git` → `tools`. */
export function repositoryName(url: string): string {
  return url.replace(/\/+$/, '').replace(/\.git$/, '').split(/[/:]/).pop() || 'repo';
}

function gitCheckout(repo: RecordedRepository, deployKey: CatalogRef | undefined): GitCheckout {
  const reference = repo.reference;
  const overSsh = /^(?:ssh:\/\/|[\w.-]+@[\w.-]+:)/.test(repo.url);
  return {
    url: repo.url,
    path: repo.path ?? `${HOME}/workspace/${repositoryName(repo.url)}`,
    ...(reference !== undefined ? { reference, referenceType: repo.reference_type ?? 'branch' } : {}),
    onRestart: repo.on_restart ?? 'preserve changes',
    ...(deployKey && overSsh && repo.public !== true ? { deployKey: { owner: deployKey.owner, name: deployKey.name } } : {}),
  };
}

/**
 * A config file's mode: `"0644"` or `"644"` as octal; a number written with octal digits only
 * (`644`, which is also what YAML makes of `mode: 0644`) as those octal digits; any other number
 * as the mode itself. Absent: 0644.
 */
export function fileMode(mode: string | number | undefined): number {
  if (mode === undefined) return DEFAULT_CONFIG_FILE_MODE;
  if (typeof mode === 'string') return parseInt(mode, 8);
  return /^[0-7]+$/.test(String(mode)) ? parseInt(String(mode), 8) : mode;
}

/**
 * The spec's package lists in one shape. Each list may be written as a list, as one string of
 * space-separated names, or as `{install, channels}` (Saturn Cloud's form); channels count for conda.
 */
export function extraPackages(spec: ExtraPackages | undefined): TaskAttachments['extraPackages'] | undefined {
  if (!spec) return undefined;
  const out: NonNullable<TaskAttachments['extraPackages']> = {};
  for (const manager of ['apt', 'conda', 'pip', 'cran'] as const) {
    const names = packageNames(spec[manager]);
    if (names.length > 0) out[manager] = names;
  }
  const conda = spec.conda;
  const channels = typeof conda === 'object' && !Array.isArray(conda) ? (conda.channels ?? []) : [];
  if (out.conda && channels.length > 0) out.condaChannels = channels;
  if (out.conda && spec.use_mamba === true) out.useMamba = true;
  return Object.keys(out).length > 0 ? out : undefined;
}

function packageNames(list: PackageList | undefined): string[] {
  if (list === undefined) return [];
  const install = typeof list === 'object' && !Array.isArray(list) ? list.install : list;
  const items = typeof install === 'string' ? install.split(/\s+/) : install.map((p) => p.trim());
  return items.filter((p) => p.length > 0);
}
