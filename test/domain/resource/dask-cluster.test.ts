import { describe, expect, it } from 'vitest';
import { fold } from '../../../shared/domain/decider.ts';
import { ConflictError } from '../../../shared/domain/errors.ts';
import type { DeploymentSpec } from '../../../shared/domain/recipe/spec-types.ts';
import { resourceDecider, type ResourceCommand } from '../../../shared/domain/resource/resource-decider.ts';
import { resourceId, resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';
import { resourceEventSchemas } from '../../../events/resource-events.ts';
import { desiredDaskWorkers } from '../../../shared/domain/resource/dask-cluster.ts';

const meta = { at: '2025-01-01T00:00:00.000Z', actor: 'ann' };
const STREAM = resourceStreamId('deployment', 'ann', 'api');
const ID = resourceId(STREAM, 1);
const decider = resourceDecider(STREAM);

const spec: DeploymentSpec = { name: 'api', owner: 'ann', command: 'serve', image: 'python:3.12', instance_type: 'medium', scale: 1, healthcheck: '/', subdomain: 'api-ann', dask_cluster: { num_workers: 2 } };
const created: ResourceEvent = { type: 'ResourceCreated', data: { id: ID, type: 'deployment', owner: 'ann', name: 'api', incarnation: 1, spec }, ...meta };
const scale = (numWorkers: number): ResourceCommand => ({ kind: 'ScaleDaskCluster', id: ID, numWorkers, ...meta });

function given(events: ResourceEvent[]) {
  return fold(decider, decider.initialState, events);
}

describe('ScaleDaskCluster', () => {
  it('records the new worker count, which then wins over the spec', () => {
    // Prepare
    const state = given([created]);

    // Act
    const events = decider.decide(scale(5), state);

    // Assess
    expect(events).toEqual([{ type: 'DaskClusterScaled', data: { num_workers: 5 }, ...meta }]);
    expect(resourceEventSchemas.DaskClusterScaled.safeParse(events[0]!.data).success).toBe(true);
    const after = given([created, ...events]);
    expect(desiredDaskWorkers(after.live!.spec, after.live!.daskScaledTo)).toBe(5);
    // A replayed command decides nothing.
    expect(decider.decide(scale(5), after)).toEqual([]);
  });

  it('decides nothing when the count is what the spec already asks for', () => {
    expect(decider.decide(scale(2), given([created]))).toEqual([]);
  });

  it('refuses a resource whose spec attaches no cluster with a conflict', () => {
    const { dask_cluster: _none, ...plain } = spec;
    const state = given([{ type: 'ResourceCreated', data: { id: ID, type: 'deployment', owner: 'ann', name: 'api', incarnation: 1, spec: plain }, ...meta }]);
    expect(() => decider.decide(scale(1), state)).toThrow(ConflictError);
  });

  it('keeps a scale across spec changes that leave dask_cluster alone, and drops it when dask_cluster changes', () => {
    // Prepare
    const scaled: ResourceEvent = { type: 'DaskClusterScaled', data: { num_workers: 7 }, ...meta };
    const otherCommand: ResourceEvent = { type: 'ResourceSpecUpdated', data: { spec: { ...spec, command: 'serve --fast' } }, ...meta };
    const newCluster: ResourceEvent = { type: 'ResourceSpecUpdated', data: { spec: { ...spec, dask_cluster: { num_workers: 4 } } }, ...meta };

    // Act
    const kept = given([created, scaled, otherCommand]).live!;
    const dropped = given([created, scaled, otherCommand, newCluster]).live!;

    // Assess
    expect(desiredDaskWorkers(kept.spec, kept.daskScaledTo)).toBe(7);
    expect(desiredDaskWorkers(dropped.spec, dropped.daskScaledTo)).toBe(4);
  });
});
