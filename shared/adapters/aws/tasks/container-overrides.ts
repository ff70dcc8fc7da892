/**
 * What a task spec puts in RunTask's container overrides: the script `sh -c` runs and the
 * environment. They differ per run (rank, run id, the run's command), so they stay out of the
 * task definition, and one definition serves every run of a spec.
 *
 * The script is built the way the local process driver builds it (start script, newline,
 * command, in one shell), so what a user declares means the same on a laptop and on AWS.
 */
import { posix } from 'node:path';
import type { KeyValuePair, TaskOverride } from '@aws-sdk/client-ecs';
import type { TaskSpec } from '../../../ports/task-driver.ts';
import { MAIN_CONTAINER } from './ecs-task-definitions.ts';
import { TOKEN_ID_VARIABLE } from './ecs-task-state.ts';

/** Relative working directories are read from here, as locally. */
export const CONTAINER_HOME = '/home/jovyan';
/** The port a task's $PORT names on AWS (each task has its own network interface). */
export const SERVICE_PORT = 8000;
/** ECS refuses RunTask overrides longer than this, JSON punctuation included. */
export const MAX_OVERRIDES_CHARACTERS = 8192;

/** A launch that cannot succeed however often it is tried. */
export class OverridesTooLargeError extends Error {
  constructor(taskId: string, characters: number) {
    super(
      `task ${taskId}: command and environment take ${characters} characters; ECS accepts at most ` +
        `${MAX_OVERRIDES_CHARACTERS} in RunTask overrides. Move long scripts into the image or a git repository.`,
    );
    this.name = 'OverridesTooLargeError';
  }
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function containerScript(spec: TaskSpec, beforeCommand: string[] = []): string {
  const lines: string[] = [];
  // RunTask cannot override the working directory, so the script moves there itself; a
  // missing directory fails the task, as it fails to start locally.
  if (spec.workingDirectory) lines.push(`cd ${shellQuote(posix.resolve(CONTAINER_HOME, spec.workingDirectory))} || exit 1`);
  if (spec.startScript) lines.push(spec.startScript);
  // What starts beside the command (a workspace's SSH agent) gets its directory and environment; the command stays last, so its status is the script's.
  lines.push(...beforeCommand, spec.command);
  return lines.join('\n');
}

/** The spec's environment and what the platform promises every task, which the spec may not change. */
export function containerEnvironment(spec: TaskSpec): KeyValuePair[] {
  const platform: Record<string, string> = { PORT: String(SERVICE_PORT) };
  // Locally each extra port is mapped to a free host port; here the task owns its interface.
  for (const port of spec.extraPorts ?? []) platform[`PORT_${port}`] = String(port);
  return Object.entries({ ...spec.environment, ...platform }).map(([name, value]) => ({ name, value }));
}

/** A job task's SATURN_TOKEN file (task-token-files.ts): ECS reads the object; only its ARN and the token's id are in the request. */
export interface TokenFileRef {
  arn: string;
  tokenId: string;
}

export function containerOverrides(spec: TaskSpec, tokenFile?: TokenFileRef): TaskOverride {
  const environment = containerEnvironment(spec);
  const overrides: TaskOverride = {
    containerOverrides: [
      {
        name: MAIN_CONTAINER,
        command: [containerScript(spec)],
        environment: tokenFile ? [...environment, { name: TOKEN_ID_VARIABLE, value: tokenFile.tokenId }] : environment,
        ...(tokenFile ? { environmentFiles: [{ value: tokenFile.arn, type: 's3' as const }] } : {}),
      },
    ],
  };
  const characters = JSON.stringify(overrides).length;
  if (characters > MAX_OVERRIDES_CHARACTERS) throw new OverridesTooLargeError(spec.taskId, characters);
  return overrides;
}
