/**
 * Who may open an SSH session into which workspace, for every SSH endpoint (the local one, the
 * gateway on AWS): the login names the workspace (ssh-login.ts), the key names the user
 * (ssh-key-service.ts), and the user must be one who may change the workspace — its owner, a
 * member of an owning group, or an admin; viewers see its web routes only — on a workspace whose
 * spec sets `start_ssh`. Every refusal looks the same to the client, so a login probes nothing.
 * Sessions are recorded on the workspace's stream: who, from where, when.
 */
import type { EventStore } from '../ports/event-store.ts';
import type { Clock } from '../ports/platform-clock.ts';
import { loadState, runCommand } from './command-runner.ts';
import { resourceModel } from './resource-model.ts';
import { addressOf, resourceStreamId } from '../domain/resource/resource-identity.ts';
import { parseWorkspaceLogin } from '../domain/ssh/ssh-login.ts';
import { mayAccess } from '../domain/identity/access.ts';
import type { User } from '../domain/identity/principal-decider.ts';
import type { LiveResource } from '../domain/resource/resource-decider.ts';
import type { SshKeyOwner } from './ssh-key-service.ts';

export interface SshAdmission {
  user: User;
  workspace: LiveResource;
  /** The registered key the client proved it holds: `<type> <base64>`. */
  publicKey: string;
  fingerprint: string;
}

export interface SshGateDeps {
  store: EventStore;
  clock: Clock;
  ownerOfKey: (blobBase64: string) => Promise<SshKeyOwner | undefined>;
  findUser: (username: string) => Promise<User | undefined>;
}

export class SshGate {
  constructor(private readonly deps: SshGateDeps) {}

  /** The session a client may open with this login and key (its wire-format blob, base64), or undefined. */
  async admit(login: string, keyBlob: string): Promise<SshAdmission | undefined> {
    const target = parseWorkspaceLogin(login);
    if (target === undefined) return undefined;
    const [owner, { state }] = await Promise.all([
      this.deps.ownerOfKey(keyBlob),
      loadState(this.deps.store, resourceModel(resourceStreamId('workspace', target.owner, target.name))),
    ]);
    const workspace = state.live;
    if (owner === undefined || workspace === null || workspace.type !== 'workspace' || workspace.spec.start_ssh !== true) return undefined;
    const user = await this.deps.findUser(owner.username);
    // A locked user's tokens and sessions are refused until an admin unlocks them; so are their SSH logins.
    if (user === undefined || user.locked === true || !mayAccess(user, workspace.owner)) return undefined;
    return { user, workspace, publicKey: owner.key.publicKey, fingerprint: owner.key.fingerprint };
  }

  async sessionStarted(admission: SshAdmission, session: { id: string; from: string }): Promise<void> {
    await this.record(admission.workspace.id, admission.user.username, { kind: 'RecordSshSessionStarted', sessionId: session.id, from: session.from, keyFingerprint: admission.fingerprint });
  }

  async sessionEnded(admission: SshAdmission, session: { id: string; from: string }): Promise<void> {
    await this.record(admission.workspace.id, admission.user.username, { kind: 'RecordSshSessionEnded', sessionId: session.id, from: session.from });
  }

  /**
   * The end of a session known by its login and user only (the gateway on AWS, whose admission
   * may no longer hold: the key removed, the user deleted meanwhile). The workspace's decider
   * records an end only for a session it saw start, so nothing else can be recorded this way.
   */
  async sessionEndedFor(login: string, username: string, session: { id: string; from: string }): Promise<void> {
    const target = parseWorkspaceLogin(login);
    if (target === undefined) return;
    const { state } = await loadState(this.deps.store, resourceModel(resourceStreamId('workspace', target.owner, target.name)));
    if (state.live === null || state.live.type !== 'workspace') return;
    await this.record(state.live.id, username, { kind: 'RecordSshSessionEnded', sessionId: session.id, from: session.from });
  }

  private async record(
    workspaceId: string,
    username: string,
    command: { kind: 'RecordSshSessionStarted'; sessionId: string; from: string; keyFingerprint: string } | { kind: 'RecordSshSessionEnded'; sessionId: string; from: string },
  ): Promise<void> {
    const address = addressOf(workspaceId)!;
    await runCommand(this.deps.store, resourceModel(address.streamId), { ...command, id: workspaceId, user: username, at: this.deps.clock.now().toISOString(), actor: username });
  }
}
