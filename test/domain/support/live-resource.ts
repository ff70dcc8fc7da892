/** A stream's live resource narrowed to the type a test expects, failing with what it found instead. */
import type { LiveJob, LiveService, ResourceState } from '../../../shared/domain/resource/resource-decider.ts';

export function liveJob(state: ResourceState): LiveJob {
  const live = state.live;
  if (live?.type !== 'job') throw new Error(`expected a live job, found ${live ? `a ${live.type}` : 'none'}`);
  return live;
}

export function liveService(state: ResourceState): LiveService {
  const live = state.live;
  if (!live || live.type === 'job') throw new Error(`expected a live deployment or workspace, found ${live ? 'a job' : 'none'}`);
  return live;
}
