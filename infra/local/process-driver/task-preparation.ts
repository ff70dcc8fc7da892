/**
 * Everything a local task needs in place before its command starts, in order: git checkouts,
 * secrets (values into the environment or files of mode 0600), its Dask cluster's TLS
 * credentials (files of mode 0600 in its private directory), shared folders, config files,
 * extra packages, and last the task's SATURN_TOKEN. Each step says in the task's log what it
 * did, never with a secret's value. A step that fails ends the task before its command with the
 * step's reason, as a reported exit.
 */
import { NotFoundError, ValidationError } from '../../../shared/domain/errors.ts';
import type { SecretReader } from '../../../shared/ports/secret-store.ts';
import type { TaskTokens } from '../../../shared/ports/task-tokens.ts';
import { writeConfigFiles } from './config-files.ts';
import { placeDaskTlsFiles } from './dask-tls-files.ts';
import type { DaskCredentialReader } from '../dask/local-dask-credentials.ts';
import { checkOutRepositories } from './git-checkouts.ts';
import { installPackages } from './package-installs.ts';
import { PreparationFailed, type PreparationContext } from './preparation-step.ts';
import { mountSecrets, readSecret } from './secret-mounts.ts';
import { linkSharedFolders } from './shared-folder-links.ts';
import type { TaskAccess } from './task-access.ts';
import type { Command, TaskUser } from './task-user.ts';

export interface PreparationDeps {
  /** Where secret values are read: the platform's secret store. */
  secrets?: SecretReader;
  /** Where shared folders live: `<DATA_DIR>/shared-folders`. */
  foldersDir: string;
  /** Issues SATURN_TOKEN; without it tasks get none. */
  tokens?: TaskTokens;
  /** Where the Dask clusters' TLS credentials are read; without it tasks get none and clusters speak tcp. */
  daskCredentials?: DaskCredentialReader;
  shell: string;
  /** The control plane's PATH, for git. */
  hostPath: string | undefined;
  /** Whom the steps act as: the task's own user, when it has one. */
  access: TaskAccess;
}

export interface TaskStart {
  /** The host directory the task's shell starts in. */
  cwd: string;
  /** The task's environment given what the attachments add (the platform's own variables win). */
  environment(added: Record<string, string>): Record<string, string>;
}

export interface PreparedTask {
  env: Record<string, string>;
  /** Names of the variables the attachments added: for the task's record, which holds no value. */
  addedNames: string[];
  /** The id of the SATURN_TOKEN issued for the task, to revoke when it ends. */
  tokenId?: string;
  /** The command as the task's user runs it. */
  runAs(command: Command): Command;
  /** The task's own user, when it has one. */
  user?: TaskUser;
}

export async function prepareTask(context: PreparationContext, deps: PreparationDeps, start: TaskStart): Promise<PreparedTask> {
  try {
    return await prepare(context, deps, start);
  } catch (error) {
    // A path outside /home/jovyan is the spec's mistake: it fails this task, not the driver.
    if (error instanceof ValidationError) throw new PreparationFailed(error.message);
    throw error;
  }
}

async function prepare(context: PreparationContext, deps: PreparationDeps, start: TaskStart): Promise<PreparedTask> {
  const attachments = context.spec.attachments ?? {};
  // Repositories first: a clone needs an empty target, and files may be placed inside a checkout.
  if (attachments.gitRepositories?.length) {
    await checkOutRepositories(context, attachments.gitRepositories, { hostPath: deps.hostPath, readSecret: (ref) => readSecret(deps.secrets, ref), access: deps.access });
  }
  const { files } = deps.access;
  const added = attachments.secrets?.length ? await mountSecrets(context, attachments.secrets, deps.secrets, files) : {};
  // After the spec's own secrets, so a secret attached under a DASK_ name cannot point distributed elsewhere.
  Object.assign(added, await placeDaskTlsFiles(context, deps.daskCredentials, deps.access));
  if (attachments.sharedFolders?.length) await linkSharedFolders(context, attachments.sharedFolders, deps.foldersDir, files);
  if (attachments.configFiles?.length) await writeConfigFiles(context, attachments.configFiles, files);
  if (attachments.extraPackages) await installPackages(context, attachments.extraPackages, { shell: deps.shell, cwd: start.cwd, env: start.environment(added), access: deps.access, hostPath: deps.hostPath });
  const runAs = (command: Command) => deps.access.command(command);
  const user = deps.access.user === undefined ? {} : { user: deps.access.user };
  if (context.signal.aborted) return { env: start.environment(added), addedNames: Object.keys(added), runAs, ...user };
  const token = attachments.platformTokenFor === undefined ? undefined : await platformToken(context, deps.tokens, attachments.platformTokenFor);
  if (token) added.SATURN_TOKEN = token.token;
  return { env: start.environment(added), addedNames: Object.keys(added).sort(), runAs, ...user, ...(token ? { tokenId: token.id } : {}) };
}

async function platformToken(context: PreparationContext, tokens: TaskTokens | undefined, owner: string): Promise<{ token: string; id: string } | undefined> {
  if (tokens === undefined) return undefined;
  try {
    const issued = await tokens.issue(owner, context.spec.taskId);
    context.say(`SATURN_TOKEN: a token acting as ${owner} (id ${issued.id}), revoked when the task ends`);
    return issued;
  } catch (error) {
    // A group owns the resource: no user to act as. Anything else is a failure to start.
    if (error instanceof NotFoundError) {
      context.say(`no SATURN_TOKEN: ${owner} is not a user, and a token acts as a user`);
      return undefined;
    }
    throw new PreparationFailed(`the task's SATURN_TOKEN could not be issued: ${(error as Error).message}`);
  }
}
