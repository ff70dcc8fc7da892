/**
 * The SSH agent as a workspace task runs it, for tests: its one-file bundle (bundleSshAgent)
 * started as a child process on a random port, in `<dir>/home/project` with HOME `<dir>/home`,
 * GREETING=hello and the agent's secret in its environment, as ECS gives the main container.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundleSshAgent } from '../../../../infra/aws/function-bundle.ts';
import { SSH_AGENT_SECRET_VARIABLE, type SshAgentSecret } from '../../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';

export interface AgentProcess {
  child: ChildProcess;
  port: number;
  home: string;
  project: string;
}

export async function startAgentProcess(dir: string, secret: SshAgentSecret): Promise<AgentProcess> {
  const home = join(dir, 'home');
  const project = join(home, 'project');
  mkdirSync(project, { recursive: true });
  const bundle = bundleSshAgent(join(dir, 'opt'));
  const child = spawn(process.execPath, [bundle, '0'], {
    cwd: project,
    env: { PATH: process.env.PATH, HOME: home, GREETING: 'hello', [SSH_AGENT_SECRET_VARIABLE]: JSON.stringify(secret) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the agent exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const logged = JSON.parse(line) as { message?: string; port?: number };
      if (logged.message === 'listening' && logged.port !== undefined) resolve(logged.port);
    });
  });
  return { child, port, home, project };
}
