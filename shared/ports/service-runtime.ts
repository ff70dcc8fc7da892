/**
 * The serving port: keeps a deployment's or workspace's replicas running behind its routes.
 * The planner turns a resource into a `ServicePlan`; ECS services (with the ALB and EFS) and
 * the local supervisor (with the process driver and the local proxy) each realize it, and
 * report what happens to the replicas through `ServiceReports`, which records it as events.
 *
 * It is the ECS service model: the runtime owns replacement of crashed replicas, health
 * checks and rolling updates with rollback; the control plane asks for a revision and
 * records what the runtime says happened.
 */
import type { ServicePlan } from '../domain/planner/service-plan.ts';

export type { ServicePlan } from '../domain/planner/service-plan.ts';
export type { RouteViewer, RouteVisibility, ServiceRoute } from '../domain/planner/service-routes.ts';

export interface ServiceRuntime {
  /** Starts the service at the plan's revision, or rolls the running one to it. Idempotent. */
  apply(plan: ServicePlan): Promise<void>;
  /** Takes the routes off the proxy and stops every replica; the home volume stays. Idempotent. */
  stop(resourceId: string, reason: string): Promise<void>;
  /** Stops the service and removes what it owns, its home volume included. Idempotent. */
  remove(resourceId: string): Promise<void>;
  /**
   * `revision` rolled out: releases what older revisions held and nothing can use any more (on
   * AWS, their SATURN_TOKENs). Idempotent; a runtime that holds nothing per revision has none.
   */
  retireBefore?(resourceId: string, revision: number): Promise<void>;
}

/** A replica as the runtime reports it: `pod` is its task id, shown as `pod_name`. */
export interface ReplicaReport {
  resourceId: string;
  pod: string;
  revision: number;
  at: string;
}

/** What a runtime tells the control plane; each call is recorded as an event, and repeats are no-ops. */
export interface ServiceReports {
  replicaStarted(report: ReplicaReport): Promise<void>;
  /** The replica passed its health check and takes traffic. */
  replicaReady(report: ReplicaReport): Promise<void>;
  /** The replica listens on an address other than loopback (locally): reachable without the proxy. */
  replicaExposed(report: ReplicaReport & { addresses: string[] }): Promise<void>;
  /** `stoppedByPlatform`: the runtime stopped it (a stop, a rollout, a scale-in), rather than it ending or being killed. */
  replicaExited(report: ReplicaReport & { exitCode: number | null; reason: string; stoppedByPlatform?: boolean }): Promise<void>;
  /** Every replica of `revision` is healthy and older ones are stopping: the service runs it. */
  rolledOut(report: { resourceId: string; revision: number; at: string }): Promise<void>;
  /** `revision` never became healthy; the replicas of the previous revision keep serving. */
  rolledBack(report: { resourceId: string; revision: number; reason: string; at: string }): Promise<void>;
  /**
   * Nothing healthy can run (a first start that never got healthy, a crash loop): the service is
   * in error. Without `revision`, whatever it runs (the control plane refused to plan it).
   */
  failed(report: { resourceId: string; revision?: number; reason: string; at: string }): Promise<void>;
  /** After `stop` (or `remove`): no replica of the service runs any more. */
  stopped(report: { resourceId: string; at: string }): Promise<void>;
  /** No request or open connection for `idleSeconds`: the service should stop (workspaces' auto_shutoff). */
  idle(report: { resourceId: string; idleSeconds: number; at: string }): Promise<void>;
}
