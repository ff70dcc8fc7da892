import { describe, expect, it } from 'vitest';
import { reconcileDaskCluster, type ClusterTask } from '../../../shared/domain/planner/dask-reconcile.ts';

const scheduler: ClusterTask = { id: 'arn:s1', role: 'scheduler', state: 'running', ip: '10.0.1.5', startedAt: '2025-01-01T00:00:00Z' };
const worker = (n: number, startedAt = `2025-01-01T00:0${n}:00Z`): ClusterTask => ({ id: `arn:w${n}`, role: 'worker', state: 'running', ip: `10.0.2.${n}`, startedAt });

describe('reconcileDaskCluster', () => {
  it('starts a scheduler and every worker for a cluster with nothing running', () => {
    expect(reconcileDaskCluster(3, [], [])).toEqual({ startScheduler: true, startWorkers: 3, stop: [], register: null, deregister: [] });
  });

  it('registers the scheduler once its address is known, and does nothing more when all matches', () => {
    expect(reconcileDaskCluster(1, [scheduler, worker(1)], [])).toMatchObject({ startScheduler: false, startWorkers: 0, register: { id: 'arn:s1', ip: '10.0.1.5' } });
    expect(reconcileDaskCluster(1, [scheduler, worker(1)], [{ id: 'arn:s1', ip: '10.0.1.5' }])).toEqual({ startScheduler: false, startWorkers: 0, stop: [], register: null, deregister: [] });
  });

  it('replaces workers lost to spot reclamation or crashes', () => {
    // Two of four workers were reclaimed: ECS no longer lists them as running.
    expect(reconcileDaskCluster(4, [scheduler, worker(1), worker(2)], [{ id: 'arn:s1', ip: '10.0.1.5' }]).startWorkers).toBe(2);
  });

  it('stops the newest workers beyond the desired count', () => {
    expect(reconcileDaskCluster(1, [scheduler, worker(1), worker(2), worker(3)], [{ id: 'arn:s1', ip: '10.0.1.5' }]).stop).toEqual(['arn:w3', 'arn:w2']);
  });

  it('starts a new scheduler when it was lost and moves the name to it once it has an address', () => {
    // Prepare: the old scheduler is gone but still registered.
    const registered = [{ id: 'arn:s0', ip: '10.0.1.4' }];

    // Act + Assess
    expect(reconcileDaskCluster(1, [worker(1)], registered)).toMatchObject({ startScheduler: true, register: null, deregister: ['arn:s0'] });
    expect(reconcileDaskCluster(1, [scheduler, worker(1)], registered)).toMatchObject({ startScheduler: false, register: { id: 'arn:s1', ip: '10.0.1.5' }, deregister: ['arn:s0'] });
  });

  it('keeps the oldest of two schedulers and stops the other', () => {
    const second: ClusterTask = { ...scheduler, id: 'arn:s2', startedAt: '2025-01-01T01:00:00Z', ip: '10.0.1.6' };
    expect(reconcileDaskCluster(0, [second, scheduler], [])).toMatchObject({ stop: ['arn:s2'], register: { id: 'arn:s1' } });
  });
});
