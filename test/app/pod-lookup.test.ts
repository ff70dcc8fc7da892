/**
 * Finding a pod by its name alone (Saturn's `GET /api/pod/namespace/{ns}/name/{pod}/runtimesummary`)
 * when the name is an ECS task id, as a service's pods are named on AWS: found among the
 * caller's deployments and workspaces, and not for anyone who may not see it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { findVisiblePod } from '../../shared/app/pod-lookup.ts';
import { ServiceReportRecorder } from '../../shared/app/service-report-recorder.ts';
import { systemClock } from '../../shared/adapters/node-platform.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';
import { projectedPlatform } from './support/projected-platform.ts';

const admin: User = { username: 'admin', email: null, groups: [], admin: true };
const ann: User = { username: 'ann', email: null, groups: ['ml'], admin: false };
const bob: User = { username: 'bob', email: null, groups: ['ml'], admin: false };
const cyd: User = { username: 'cyd', email: null, groups: [], admin: false };
/** The last part of an ECS task's ARN. */
const TASK_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

let dynamo: EmbeddedDynamo;
let platform: ReturnType<typeof projectedPlatform>;
let deploymentId: string;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  platform = projectedPlatform(dynamo);
  for (const user of [ann, bob, cyd]) await platform.services.identity.createUser(admin, user);
  const { recipe } = await platform.services.resources.apply(ann, { type: 'deployment', spec: { name: 'model', owner: 'ml', command: 'serve' } }, { createOnly: true });
  deploymentId = String(recipe.state.id);
  await platform.services.resources.act(ann, 'deployments', deploymentId, 'start');
  const reports = new ServiceReportRecorder({ store: platform.projecting, clock: systemClock });
  await reports.replicaStarted({ resourceId: deploymentId, pod: TASK_ID, revision: 1, at: new Date().toISOString() });
});

afterAll(async () => {
  await dynamo?.close();
});

describe('findVisiblePod, for a service pod named by its ECS task id', () => {
  it('finds it for a member of the owning group and for an admin, naming its resource', async () => {
    for (const user of [bob, admin]) {
      expect(await findVisiblePod(user, TASK_ID, platform.services)).toMatchObject({ name: TASK_ID, resourceId: deploymentId, status: 'pending' });
    }
  });

  it('answers not found to someone who may not see the deployment, and for an unknown task id', async () => {
    await expect(findVisiblePod(cyd, TASK_ID, platform.services)).rejects.toThrow(NotFoundError);
    await expect(findVisiblePod(bob, 'ffffffffffffffffffffffffffffffff', platform.services)).rejects.toThrow(NotFoundError);
  });
});
