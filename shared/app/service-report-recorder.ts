/**
 * Records what a serving runtime reports (ECS through the task-state Lambda, or the local
 * supervisor) as events on the resource's stream: one read and one conditional write each.
 * The decider makes repeated and late reports no-ops; a report about a resource that was
 * deleted meanwhile is dropped with a warning, since nothing is left to record it on.
 */
import type { EventStore } from '../ports/event-store.ts';
import type { Clock } from '../ports/platform-clock.ts';
import type { ReplicaReport, ServiceReports } from '../ports/service-runtime.ts';
import { runCommand } from './command-runner.ts';
import { resourceModel } from './resource-model.ts';
import { addressOf } from '../domain/resource/resource-identity.ts';
import type { ResourceCommand } from '../domain/resource/resource-decider.ts';
import { ConflictError, NotFoundError } from '../domain/errors.ts';

const RUNTIME = 'system:runtime';
const AUTO_SHUTOFF = 'system:auto-shutoff';
/** Who records a serving resource's failure for an owner who lost access (service-access-recheck.ts); the ServiceReactor stops what it records. */
export const ACCESS_RECHECK_ACTOR = 'system:access-recheck';

/** A runtime report as a resource command, before it is stamped with its time and actor. */
type Report = { kind: ResourceCommand['kind']; id: string } & Record<string, unknown>;

export interface ServiceReportRecorderDeps {
  store: EventStore;
  clock: Clock;
}

export class ServiceReportRecorder implements ServiceReports {
  constructor(private readonly deps: ServiceReportRecorderDeps) {}

  replicaStarted(r: ReplicaReport): Promise<void> {
    return this.record({ kind: 'ReportReplicaStarted', id: r.resourceId, pod: r.pod, revision: r.revision }, r.at);
  }

  replicaReady(r: ReplicaReport): Promise<void> {
    return this.record({ kind: 'ReportReplicaReady', id: r.resourceId, pod: r.pod, revision: r.revision }, r.at);
  }

  replicaExposed(r: ReplicaReport & { addresses: string[] }): Promise<void> {
    return this.record({ kind: 'ReportReplicaExposed', id: r.resourceId, pod: r.pod, revision: r.revision, addresses: r.addresses }, r.at);
  }

  replicaExited(r: ReplicaReport & { exitCode: number | null; reason: string; stoppedByPlatform?: boolean }): Promise<void> {
    const stopped = r.stoppedByPlatform ? { stoppedByPlatform: true } : {};
    return this.record({ kind: 'ReportReplicaExited', id: r.resourceId, pod: r.pod, revision: r.revision, exitCode: r.exitCode, reason: r.reason, ...stopped }, r.at);
  }

  rolledOut(r: { resourceId: string; revision: number; at: string }): Promise<void> {
    return this.record({ kind: 'ReportRolledOut', id: r.resourceId, revision: r.revision }, r.at);
  }

  rolledBack(r: { resourceId: string; revision: number; reason: string; at: string }): Promise<void> {
    return this.record({ kind: 'ReportRolledBack', id: r.resourceId, revision: r.revision, reason: r.reason }, r.at);
  }

  failed(r: { resourceId: string; revision?: number; reason: string; at: string }): Promise<void> {
    return this.record({ kind: 'ReportFailed', id: r.resourceId, ...(r.revision === undefined ? {} : { revision: r.revision }), reason: r.reason }, r.at);
  }

  /** The owner may no longer use what the resource attaches: the resource fails, and its replicas are stopped (service-reactor.ts). */
  accessLost(r: { resourceId: string; reason: string; at: string }): Promise<void> {
    return this.record({ kind: 'ReportFailed', id: r.resourceId, reason: r.reason }, r.at, ACCESS_RECHECK_ACTOR);
  }

  stopped(r: { resourceId: string; at: string }): Promise<void> {
    return this.record({ kind: 'ReportStopped', id: r.resourceId }, r.at);
  }

  idle(r: { resourceId: string; idleSeconds: number; at: string }): Promise<void> {
    return this.record({ kind: 'ReportIdle', id: r.resourceId, idleSeconds: r.idleSeconds }, r.at, AUTO_SHUTOFF);
  }

  private async record(report: Report, at: string, actor = RUNTIME): Promise<void> {
    const address = addressOf(report.id);
    if (!address) throw new NotFoundError(`No resource with id ${report.id}.`);
    const command = { ...report, at: at || this.deps.clock.now().toISOString(), actor } as unknown as ResourceCommand;
    try {
      await runCommand(this.deps.store, resourceModel(address.streamId), command);
    } catch (error) {
      if (!(error instanceof NotFoundError || error instanceof ConflictError)) throw error;
      console.warn(JSON.stringify({ level: 'warn', message: 'a runtime report about a resource that is gone', kind: report.kind, resource: report.id, error: error.message }));
    }
  }
}
