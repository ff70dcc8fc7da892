/** How a task's end reads to its owner: the facts, plus what the shell's exit code conventions imply. */
import { constants } from 'node:os';

export function describeExit(exitCode: number | null, signal: string | null): string {
  if (signal !== null) return `killed by ${signal}`;
  if (exitCode === 0) return 'succeeded';
  if (exitCode === null) return 'ended without an exit code';
  return `exited with code ${exitCode}${shellHint(exitCode)}`;
}

function shellHint(exitCode: number): string {
  if (exitCode === 127) return ' (command not found)';
  if (exitCode === 126) return ' (command found but not executable)';
  // sh reports a command killed by signal n as 128 + n.
  const signal = Object.entries(constants.signals).find(([, number]) => number === exitCode - 128)?.[0];
  return signal === undefined ? '' : ` (a command it ran was killed by ${signal})`;
}
