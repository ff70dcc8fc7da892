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
import type { TaskSpec } from './task-driver.ts';

export type RouteVisibility = 'owner' | 'org' | 'unauthenticated';

export interface ServiceRoute {
  /** A DNS label, unique across the platform: `<subdomain>.<domain>` (locally `<subdomain>.localhost:<port>`). */
  subdomain: string;
  /** 8000 is the task's $PORT; any other port N is `PORT_N` locally and the container port on AWS. */
  containerPort: number;
  visibility: RouteVisibility;
  /** Pages of other origins may send state-changing requests and open WebSockets with a visitor's session (spec `allow_cross_origin`). */
  allowCrossOrigin?: boolean;
}

/** A user or group allowed through an `owner` route besides the owner, its group and admins. */
export interface RouteViewer {
  name: string;
  type?: 'user' | 'group';
}

export interface ServicePlan {
  resourceId: string;
  type: 'deployment' | 'workspace';
  owner: string;
  name: string;
  /**
   * Increases with each start, restart and spec change: a plan with a higher revision than the
   * one running is rolled out; the same revision again changes nothing (plans are idempotent).
   */
  revision: number;
  /** Healthy replicas wanted: `scale` for deployments, 1 for workspaces. */
  replicas: number;
  /**
   * What each replica runs: `taskId` and `group` are left empty here; the runtime names each
   * replica `<resource id>-r<revision>-<n>` and groups them by resource id.
   */
  task: Omit<TaskSpec, 'taskId' | 'group'>;
  image: string;
  instanceType: string;
  spot: boolean;
  /** Path probed over HTTP on the main port ($PORT, container port 8000); 2xx–3xx is healthy. */
  healthCheckPath: string;
  /** How long a new replica has to pass its first health check before it counts as failed. */
  healthGraceSeconds: number;
  routes: ServiceRoute[];
  viewers: RouteViewer[];
  /** A workspace's persistent home, mounted at /home/jovyan; kept across stops, removed with the resource. */
  homeVolume: string | null;
  /** Shell access into replicas (ECS Exec on AWS). */
  shellAccess: boolean;
  /** Stop the service after this long with no proxied request or open connection (workspaces). */
  idleShutoffSeconds: number | null;
}

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
