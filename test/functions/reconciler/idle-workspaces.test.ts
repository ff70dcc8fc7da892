/**
 * The reconciler's idle pass on AWS counts SSH as activity: the load balancer, which counts the
 * web requests, never sees a session that goes through the SSH gateway.
 */
import { describe, expect, it } from 'vitest';
import { idleCandidateOf, OPEN_SSH_SESSION_HOURS, reportIdleWorkspaces } from '../../../functions/reconciler/idle-workspaces.ts';
import type { LiveWorkspace } from '../../../shared/domain/resource/resource-decider.ts';
import type { IdleCandidate } from '../../../shared/adapters/aws/services/alb-idle-workspaces.ts';

const NOW = new Date('2026-12-06T12:00:00.000Z');
const REPLICA_STARTED = '2026-12-06T08:00:00.000Z';
const HOUR = 3_600;

function workspace(ssh: { sessions?: string[]; activeAt?: string } = {}): LiveWorkspace {
  return {
    id: 'ws1',
    owner: 'ann',
    name: 'lab',
    type: 'workspace',
    status: 'running',
    reason: null,
    createdAt: REPLICA_STARTED,
    updatedAt: REPLICA_STARTED,
    firstStreamVersion: 1,
    spec: { name: 'lab', owner: 'ann', ide: 'jupyter', image: 'img', instance_type: 'medium', auto_shutoff: '1 hour', disk_space: '10Gi' },
    service: {
      revision: 1,
      servingRevision: 1,
      rolledBackRevision: null,
      pods: [{ name: 'p1', revision: 1, status: 'running', startedAt: REPLICA_STARTED, lastSeen: REPLICA_STARTED, endedAt: null, exitCode: null, reason: null }],
    },
    ...(ssh.sessions ? { sshSessions: ssh.sessions } : {}),
    ...(ssh.activeAt ? { sshActiveAt: ssh.activeAt } : {}),
  };
}

describe('idle workspaces with SSH (AWS)', () => {
  it('counts the window from the replica start when SSH was never used', () => {
    expect(idleCandidateOf(workspace(), NOW)).toEqual({ resourceId: 'ws1', idleSeconds: HOUR, servingSince: REPLICA_STARTED });
  });

  it('counts the window from the newest session start or end when it is later than the replica start', () => {
    const ended = '2026-12-06T11:30:00.000Z';
    expect(idleCandidateOf(workspace({ sessions: [], activeAt: ended }), NOW)).toEqual({ resourceId: 'ws1', idleSeconds: HOUR, servingSince: ended });
  });

  it('never idles out a workspace with a session open', () => {
    expect(idleCandidateOf(workspace({ sessions: ['s1'], activeAt: '2026-12-06T09:00:00.000Z' }), NOW)).toBeUndefined();
  });

  it(`lets an open session keep it for ${OPEN_SSH_SESSION_HOURS} hours after the newest session event at most (a gateway that died recorded no end)`, () => {
    const longAgo = new Date(NOW.getTime() - (OPEN_SSH_SESSION_HOURS * HOUR + 1) * 1000).toISOString();
    expect(idleCandidateOf(workspace({ sessions: ['s1'], activeAt: longAgo }), NOW)).toEqual({ resourceId: 'ws1', idleSeconds: HOUR, servingSince: REPLICA_STARTED });
  });

  it('asks the detector about no workspace whose session is open, and stops the ones it finds idle', async () => {
    const asked: IdleCandidate[][] = [];
    const reported: string[] = [];
    const views = [
      { resource: { ...workspace({ sessions: ['s1'], activeAt: '2026-12-06T11:00:00.000Z' }), id: 'busy' }, version: 1 },
      { resource: { ...workspace(), id: 'quiet' }, version: 1 },
    ];
    const count = await reportIdleWorkspaces({
      views: { list: async () => ({ views, cursor: null }) },
      detector: {
        idle: async (candidates) => {
          asked.push(candidates);
          return candidates;
        },
      },
      reports: {
        idle: async ({ resourceId }) => {
          reported.push(resourceId);
        },
      },
      clock: { now: () => NOW },
    });
    expect(asked).toEqual([[{ resourceId: 'quiet', idleSeconds: HOUR, servingSince: REPLICA_STARTED }]]);
    expect(reported).toEqual(['quiet']);
    expect(count).toBe(1);
  });
});
