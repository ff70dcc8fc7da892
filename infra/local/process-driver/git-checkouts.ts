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
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CatalogRef, GitCheckout } from '../../../shared/ports/task-driver.ts';
import { PreparationFailed, type PreparationContext } from './preparation-step.ts';
import { runStep } from './step-process.ts';

const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface GitOptions {
  /** The control plane's PATH, to find git and ssh. */
  hostPath: string | undefined;
  /** A deploy key's value. */
  readSecret(ref: CatalogRef): Promise<string>;
}

export async function checkOutRepositories(context: PreparationContext, repositories: readonly GitCheckout[], options: GitOptions): Promise<void> {
  for (const repository of repositories) await checkOut(context, repository, options);
}

async function checkOut(context: PreparationContext, repository: GitCheckout, options: GitOptions): Promise<void> {
  const target = context.tree.hostPath(repository.path, 'gitRepositories.path');
  const at = describeReference(repository);
  if (repository.reference?.startsWith('-')) throw new PreparationFailed(`git ${repository.url}: ${JSON.stringify(repository.reference)} is not a branch, tag or commit`);
  if (existsSync(join(target, '.git'))) {
    if (repository.onRestart === 'preserve changes') {
      context.say(`git ${repository.url}: ${repository.path} already has a checkout; kept as it is (on_restart: preserve changes)`);
      return;
    }
    context.say(`git ${repository.url}: removing the checkout at ${repository.path} to clone again (on_restart: reclone)`);
    await rm(target, { recursive: true, force: true });
  }
  await mkdir(dirname(target), { recursive: true });
  const keyFile = repository.deployKey ? join(context.tree.dir, `.deploy-key-${randomBytes(6).toString('hex')}`) : undefined;
  try {
    const env = gitEnvironment(context, options.hostPath);
    if (repository.deployKey && keyFile) {
      const key = await options.readSecret(repository.deployKey);
      await writeFile(keyFile, key.endsWith('\n') ? key : `${key}\n`, { mode: 0o600 });
      env.GIT_SSH_COMMAND = `ssh -i ${shellQuote(keyFile)} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${shellQuote(join(context.tree.dir, 'known_hosts'))}`;
      context.say(`git ${repository.url}: using the deploy key in secret ${repository.deployKey.owner}/${repository.deployKey.name}`);
    }
    context.say(`git ${repository.url}: cloning ${at} into ${repository.path}`);
    const branch = repository.reference !== undefined && repository.referenceType !== 'commit' ? ['--branch', repository.reference] : [];
    // `--` and the protocol rule: a URL is data, never an option or a command to run (ext::).
    await git(context, env, ['-c', 'protocol.ext.allow=never', 'clone', ...branch, '--', repository.url, target], dirname(target), `git clone of ${repository.url} ${at}`);
    if (repository.reference !== undefined && repository.referenceType === 'commit') {
      await git(context, env, ['-c', 'advice.detachedHead=false', 'checkout', '--detach', repository.reference, '--'], target, `git checkout of commit ${repository.reference} in ${repository.url}`);
    }
  } finally {
    if (keyFile) await rm(keyFile, { force: true });
  }
}

async function git(context: PreparationContext, env: Record<string, string>, args: string[], cwd: string, what: string): Promise<void> {
  const outcome = await runStep({ file: 'git', args, cwd, env, signal: context.signal, onLine: (stream, line) => context.output(stream, line), onProcess: (pid) => context.onProcess(pid) }).catch((error: Error) => {
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

function describeReference(repository: GitCheckout): string {
  if (repository.reference === undefined) return 'at its default branch';
  return `at ${repository.referenceType ?? 'branch'} ${repository.reference}`;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
