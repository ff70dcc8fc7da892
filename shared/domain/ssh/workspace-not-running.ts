/**
 * What an SSH session into a workspace without a running task tells the client, on every SSH
 * endpoint (local and the gateway on AWS), before it exits with status 1: the workspace's state
 * and how to start it. Pure.
 */
export interface WorkspaceSummary {
  id: string;
  name: string;
  owner: string;
  status: 'pending' | 'running' | 'stopping' | 'stopped' | 'error';
}

export function workspaceNotRunningMessage(workspace: WorkspaceSummary): string {
  const status = workspace.status === 'pending' || workspace.status === 'running' ? 'is starting' : `is ${workspace.status}`;
  return `cassini: workspace ${workspace.name} of ${workspace.owner} ${status}, so there is nothing to connect to. Start it (sc start workspace ${workspace.name} --owner ${workspace.owner}, or POST /api/workspaces/${workspace.id}/start), wait until it runs, and connect again.`;
}
