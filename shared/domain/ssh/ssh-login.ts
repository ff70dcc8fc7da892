/**
 * The SSH user name that names a workspace: `<workspace name>.<owner>`. Both parts are DNS
 * labels (letters, digits, `-`, no dot), so the one dot splits a login in exactly one way and two
 * workspaces can never share a login, as with subdomains; and the owner is part of it, so a login
 * can only ever name that owner's workspace. Pure.
 */
import { TASK_HOME } from '../recipe/fields.ts';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const LOGIN = new RegExp(`^(${LABEL})\\.(${LABEL})$`);

export interface WorkspaceLogin {
  name: string;
  owner: string;
}

export function workspaceLogin(name: string, owner: string): string {
  return `${name}.${owner}`;
}

/** The workspace a login names, or undefined when it cannot name one. */
export function parseWorkspaceLogin(login: string): WorkspaceLogin | undefined {
  const match = LOGIN.exec(login);
  return match ? { name: match[1]!, owner: match[2]! } : undefined;
}

/** The command `state.ssh` shows: `ssh -p 2222 lab.ann@localhost` (the port only when it is not 22). */
export function sshConnectCommand(login: string, host: string, port: number): string {
  return `ssh ${port === 22 ? '' : `-p ${port} `}${login}@${host}`;
}

/** Where an SSH session starts when the spec names no working directory: the home, as in Jupyter. */
export const DEFAULT_SESSION_DIRECTORY = TASK_HOME;
