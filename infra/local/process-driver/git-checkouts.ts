/**
 * A task's git repositories, locally: a real `git clone` into the mapped path before the command
 * starts, at the pinned branch or tag (`--branch`) or commit (clone, then a detached checkout).
 * A failed clone fails the start with git's own words in the log and the reason.
 *
 * Git runs with an environment of its own: the task's home as HOME (no host ~/.gitconfig), no
 * GIT_* variable of the control plane, and never a prompt (GIT_TERMINAL_PROMPT=0: a private
 * repository without a key fails instead of hanging). A deploy key is written to a file of mode
 * 0600 outside the task's home for the clone only, and handed to ssh through GIT_SSH_COMMAND.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CatalogRef, GitCheckout } from '../../../shared/ports/task-driver.ts';
import { PreparationFailed, type PreparationContext } from './preparation-step.ts';
import { runStep } from './step-process.ts';
import type { TaskAccess } from './task-access.ts';

const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface GitOptions {
  /** The control plane's PATH, to find git and ssh. */
  hostPath: string | undefined;
  /** A deploy key's value. */
  readSecret(ref: CatalogRef): Promise<string>;
  /** Git runs, and the checkout is written, as the task's user. */
  access: TaskAccess;
}

export async function checkOutRepositories(context: PreparationContext, repositories: readonly GitCheckout[], options: GitOptions): Promise<void> {
  for (const repository of repositories) await checkOut(context, repository, options);
}

async function checkOut(context: PreparationContext, repository: GitCheckout, options: GitOptions): Promise<void> {
  const { access } = options;
  const { files } = access;
  const target = context.tree.hostPath(repository.path, 'gitRepositories.path');
  const at = describeReference(repository);
  if (repository.reference?.startsWith('-')) throw new PreparationFailed(`git ${repository.url}: ${JSON.stringify(repository.reference)} is not a branch, tag or commit`);
  if (existsSync(join(target, '.git'))) {
    if (repository.onRestart === 'preserve changes') {
      context.say(`git ${repository.url}: ${repository.path} already has a checkout; kept as it is (on_restart: preserve changes)`);
      return;
    }
    context.say(`git ${repository.url}: removing the checkout at ${repository.path} to clone again (on_restart: reclone)`);
    await files.remove(target);
  }
  await files.makeDirectory(dirname(target));
  const keyFile = repository.deployKey ? join(access.privateDir, `.deploy-key-${randomBytes(6).toString('hex')}`) : undefined;
  try {
    const env = { ...gitEnvironment(context, options.hostPath), ...(await trustLocalSource(access)) };
    if (repository.deployKey && keyFile) {
      const key = await options.readSecret(repository.deployKey);
      await files.writeFile(keyFile, key.endsWith('\n') ? key : `${key}\n`, 0o600);
      env.GIT_SSH_COMMAND = `ssh -i ${shellQuote(keyFile)} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${shellQuote(join(access.privateDir, 'known_hosts'))}`;
      context.say(`git ${repository.url}: using the deploy key in secret ${repository.deployKey.owner}/${repository.deployKey.name}`);
    }
    context.say(`git ${repository.url}: cloning ${at} into ${repository.path}`);
    const branch = repository.reference !== undefined && repository.referenceType !== 'commit' ? ['--branch', repository.reference] : [];
    // `--` and the protocol rule: a URL is data, never an option or a command to run (ext::).
    await git(context, access, env, ['-c', 'protocol.ext.allow=never', 'clone', ...branch, '--', repository.url, target], dirname(target), `git clone of ${repository.url} ${at}`);
    if (repository.reference !== undefined && repository.referenceType === 'commit') {
      await git(context, access, env, ['-c', 'advice.detachedHead=false', 'checkout', '--detach', repository.reference, '--'], target, `git checkout of commit ${repository.reference} in ${repository.url}`);
    }
  } finally {
    if (keyFile) await files.remove(keyFile);
  }
}

async function git(context: PreparationContext, access: TaskAccess, env: Record<string, string>, args: string[], cwd: string, what: string): Promise<void> {
  const outcome = await runStep({ ...access.command({ file: 'git', args }), cwd, env, signal: context.signal, onLine: (stream, line) => context.output(stream, line), onProcess: (pid) => context.onProcess(pid) }).catch((error: Error) => {
    if (error.name === 'StepAborted') throw error;
    throw new PreparationFailed(`${what} could not run: ${error.message}`);
  });
  if (outcome.exitCode !== 0) {
    const said = outcome.lastErrors.join(' ').trim();
    throw new PreparationFailed(`${what} failed${said ? `: ${said}` : ` (exit code ${outcome.exitCode ?? outcome.signal})`}`);
  }
}

function gitEnvironment(context: PreparationContext, hostPath: string | undefined): Record<string, string> {
  return { PATH: hostPath || FALLBACK_PATH, HOME: context.tree.home, LANG: 'C.UTF-8', GIT_TERMINAL_PROMPT: '0' };
}

/**
 * A task with a user of its own that clones a repository on this machine (a path URL) owned by
 * the person running Cassini meets git's "dubious ownership" refusal. The clone only reads that
 * repository, as a user who may read it anyway. `-c safe.directory` would not reach the
 * `upload-pack` git starts for a local clone (it drops GIT_CONFIG_PARAMETERS), so the exception
 * is a system config of the clone's own, in the task's private directory.
 */
async function trustLocalSource(access: TaskAccess): Promise<Record<string, string>> {
  if (!access.ownUser) return {};
  const config = join(access.privateDir, 'gitconfig');
  await access.files.writeFile(config, '[safe]\n\tdirectory = *\n', 0o600);
  return { GIT_CONFIG_SYSTEM: config };
}

function describeReference(repository: GitCheckout): string {
  if (repository.reference === undefined) return 'at its default branch';
  return `at ${repository.referenceType ?? 'branch'} ${repository.reference}`;
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
