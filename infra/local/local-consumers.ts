/**
 * The names of the local pipeline's consumers, in their order: what a clean-stop mark and the
 * delivery journal record, and what a tool that prepares a data directory (the bench's history
 * generator) checkpoints. local-platform.ts refuses to start if its pipeline says otherwise.
 */
export const LOCAL_CONSUMERS: readonly string[] = ['read-model-projector', 'dask-reactor', 'job-run-reactor', 'service-reactor', 'shared-folder-reactor'];
