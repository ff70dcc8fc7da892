/**
 * What a run of a job executes, fixed when the run is queued: the job's command and
 * environment with the run's overrides applied, its image, size, scale, timeout and attachments,
 * and whether the job attaches a Dask cluster.
 */
import type { RunPlan } from '../../../events/run-events.ts';
import type { JobSpec } from '../recipe/spec-types.ts';
import { durationSeconds } from '../recipe/duration.ts';
import { planAttachments, type AttachmentCatalogFacts } from './task-attachments.ts';
import { daskClusterOf } from '../resource/dask-cluster.ts';
import { PayloadTooLargeError } from '../errors.ts';

/**
 * The largest plan a run may carry, as JSON: the API's body limit. A run's record holds its
 * plan, and the event store refuses a record no view could hold; a plan this size leaves room
 * for the rest of the run. Checked before the job records the request, so that a job never
 * holds a requested run whose own record can never be written (its reactor would retry it
 * forever, and a `Forbid` job would wait for it forever).
 */
export const MAX_RUN_PLAN_BYTES = 256 * 1024;

/** Refuses a plan over MAX_RUN_PLAN_BYTES with `payload_too_large`. */
export function refuseOversizedPlan(plan: RunPlan): void {
  const bytes = Buffer.byteLength(JSON.stringify(plan));
  if (bytes > MAX_RUN_PLAN_BYTES) {
    throw new PayloadTooLargeError(
      `This run would carry ${Math.ceil(bytes / 1024)} KiB of command, variables and files with its overrides, more than the ${MAX_RUN_PLAN_BYTES / 1024} KiB a run may hold; send smaller overrides.`,
    );
  }
}

export interface RunOverrides {
  command?: string;
  environment_variables?: Record<string, string>;
}

/** `catalog`: what the catalog says about the spec's attachments (folder modes, the role's ARN). */
export function planRun(spec: JobSpec, overrides: RunOverrides = {}, catalog: AttachmentCatalogFacts = {}): RunPlan {
  const { timeout } = spec;
  return {
    command: overrides.command ?? spec.command,
    environment: { ...(spec.environment_variables ?? {}), ...(overrides.environment_variables ?? {}) },
    image: spec.image,
    instance_type: spec.instance_type,
    // Specs recorded before `scale` had a default have none.
    scale: spec.scale ?? 1,
    timeout_seconds: timeout === undefined ? null : (durationSeconds(timeout) ?? null),
    start_script: spec.start_script ?? null,
    working_directory: spec.working_directory ?? null,
    spot: spec.use_spot_instance === true,
    attachments: planAttachments(spec, spec.owner, catalog),
    ...(daskClusterOf(spec) ? { dask_cluster: true } : {}),
  };
}
