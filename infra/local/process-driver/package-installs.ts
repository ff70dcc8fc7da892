/**
 * `extra_packages`, locally: the install commands run in the task's shell, with its environment
 * and working directory, before the start script and in the order apt, conda, pip, cran. Their
 * output is the task's; a failed install fails the start. They install into whatever the host
 * has (apt-get needs root, conda or mamba must be on the PATH), as they would in the image.
 */
import type { TaskAttachments } from '../../../shared/ports/task-driver.ts';
import { PreparationFailed, type PreparationContext } from './preparation-step.ts';
import { runStep } from './step-process.ts';
import type { TaskAccess } from './task-access.ts';

const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface InstallCommand {
  manager: 'apt' | 'conda' | 'pip' | 'cran';
  script: string;
}

/** The shell commands that install the packages, in order. Pure. */
export function installCommands(packages: NonNullable<TaskAttachments['extraPackages']>): InstallCommand[] {
  const commands: InstallCommand[] = [];
  const names = (list: string[]) => list.map(shellQuote).join(' ');
  if (packages.apt?.length) commands.push({ manager: 'apt', script: `apt-get install -y ${names(packages.apt)}` });
  if (packages.conda?.length) {
    const channels = (packages.condaChannels ?? []).flatMap((c) => ['-c', shellQuote(c)]).join(' ');
    commands.push({ manager: 'conda', script: `${packages.useMamba ? 'mamba' : 'conda'} install -y ${channels ? `${channels} ` : ''}${names(packages.conda)}` });
  }
  if (packages.pip?.length) commands.push({ manager: 'pip', script: `pip install ${names(packages.pip)}` });
  if (packages.cran?.length) {
    const vector = packages.cran.map((p) => JSON.stringify(p)).join(', ');
    commands.push({ manager: 'cran', script: `Rscript -e ${shellQuote(`install.packages(c(${vector}), repos = "https://cloud.r-project.org")`)}` });
  }
  return commands;
}

export interface InstallOptions {
  shell: string;
  cwd: string;
  env: Record<string, string>;
  access: TaskAccess;
  /** The control plane's PATH: where apt-get is found when it runs as the control plane's user. */
  hostPath: string | undefined;
}

/**
 * A Debian package name (lower-case letters, digits, `+`, `-`, `.`, starting with a letter or
 * digit), with an optional `:arch`, `=version` or `/release`. Anything else is refused: apt-get
 * may run as root, and a "name" such as `-o APT::Update::Pre-Invoke::=…` would be an option
 * that makes it run a command.
 */
const APT_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?([=/][A-Za-z0-9.+~:_-]+)?$/;

export async function installPackages(context: PreparationContext, packages: NonNullable<TaskAttachments['extraPackages']>, options: InstallOptions): Promise<void> {
  const refused = (packages.apt ?? []).filter((name) => !APT_PACKAGE.test(name));
  if (refused.length > 0) throw new PreparationFailed(`extra_packages.apt: ${refused.map((name) => JSON.stringify(name)).join(', ')} is not a Debian package name (lower-case letters, digits, '+', '-', '.', optionally :arch, =version or /release)`);
  for (const { manager, script } of installCommands(packages)) {
    context.say(`extra packages (${manager}): ${script}`);
    const outcome = await runStep({
      ...installer(manager, script, options),
      signal: context.signal,
      onLine: (stream, line) => context.output(stream, line),
      onProcess: (pid) => context.onProcess(pid),
    }).catch((error: Error) => {
      if (error.name === 'StepAborted') throw error;
      throw new PreparationFailed(`installing the ${manager} packages could not run: ${error.message}`);
    });
    if (outcome.exitCode !== 0) throw new PreparationFailed(`installing the ${manager} packages failed (exit code ${outcome.exitCode ?? outcome.signal}); see the task's log`);
  }
}

/**
 * apt-get needs root: for a task with a user of its own, it runs as the control plane's user,
 * with an environment of the platform's and not the task's (whose PATH or APT_CONFIG would
 * otherwise choose what root runs). Every other installer runs as the task.
 */
function installer(manager: InstallCommand['manager'], script: string, options: InstallOptions): { file: string; args: string[]; cwd: string; env: Record<string, string> } {
  if (manager === 'apt' && options.access.ownUser) {
    return { file: options.shell, args: ['-c', script], cwd: '/', env: { PATH: options.hostPath || FALLBACK_PATH, LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive' } };
  }
  return { ...options.access.command({ file: options.shell, args: ['-c', script] }), cwd: options.cwd, env: options.env };
}

function shellQuote(value: string): string {
  return /^[\w.,:=+@%/~-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
