/**
 * `TaskFiles` as the task's own user: each change is a small `sh` script run through `setpriv`
 * as that user, so a link the task planted leads nowhere it could not already write. Contents
 * go through stdin, never the command line (which any user can read in /proc).
 */
import { spawn } from 'node:child_process';
import type { TaskFiles } from './task-files.ts';
import { asTaskUser, type TaskUser } from './task-user.ts';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// Exit status of the link script when something other than a link is in the way.
const OCCUPIED = 3;

const SCRIPTS = {
  makeDirectory: 'mkdir -p -- "$1"',
  writeFile: 'umask 077 && mkdir -p -- "$(dirname -- "$1")" && cat > "$1" && chmod "$2" -- "$1"',
  link: `mkdir -p -- "$(dirname -- "$2")" || exit 1; if [ -L "$2" ]; then rm -f -- "$2" || exit 1; elif [ -e "$2" ]; then exit ${OCCUPIED}; fi; ln -s -- "$1" "$2"`,
  remove: 'rm -rf -- "$1"',
} as const;

export function taskUserFiles(setprivPath: string, user: TaskUser): TaskFiles {
  const run = (script: keyof typeof SCRIPTS, args: string[], input = ''): Promise<number> => runAsUser(setprivPath, user, SCRIPTS[script], args, input);
  const expectSuccess = async (what: string, status: Promise<number>) => {
    const code = await status;
    if (code !== 0) throw new Error(`${what} failed as the task's user (uid ${user.uid}, exit status ${code})`);
  };
  return {
    makeDirectory: (path) => expectSuccess(`creating ${path}`, run('makeDirectory', [path])),
    writeFile: (path, content, mode) => expectSuccess(`writing ${path}`, run('writeFile', [path, mode.toString(8)], content)),
    async link(target, link) {
      const code = await run('link', [target, link]);
      if (code === OCCUPIED) return false;
      if (code !== 0) throw new Error(`linking ${link} failed as the task's user (uid ${user.uid}, exit status ${code})`);
      return true;
    },
    remove: (path) => expectSuccess(`removing ${path}`, run('remove', [path])),
  };
}

function runAsUser(setprivPath: string, user: TaskUser, script: string, args: string[], input: string): Promise<number> {
  const command = asTaskUser(setprivPath, user, { file: '/bin/sh', args: ['-c', script, 'sh', ...args] });
  return new Promise((resolve, reject) => {
    // The working directory is one the user can reach whatever the path given (`/`).
    const child = spawn(command.file, command.args, { cwd: '/', env: { PATH, LANG: 'C.UTF-8' }, stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString('utf8')).slice(-500)));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0 && code !== OCCUPIED && errors.trim()) console.error(`process driver: as uid ${user.uid}: ${errors.trim()}`);
      resolve(code ?? 1);
    });
    child.stdin.on('error', () => undefined); // a script that failed early closes its stdin
    child.stdin.end(input);
  });
}

