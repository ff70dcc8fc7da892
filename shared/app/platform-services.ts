/** The composition root both runtimes share: services over a store, read models and a clock. */
import type { EventStore } from '../ports/event-store.ts';
import type { RecipeViews } from '../ports/recipe-views.ts';
import type { RunViews } from '../ports/run-views.ts';
import { JobRunService } from './job-run-service.ts';
import type { Clock, RandomSource } from '../ports/platform-clock.ts';
import { IdentityService } from './identity-service.ts';
import { ResourceService } from './resource-service.ts';

export interface PlatformPorts {
  store: EventStore;
  views: RecipeViews;
  runViews: RunViews;
  clock: Clock;
  random: RandomSource;
  routeUrl(subdomain: string): string;
  dindEnabled?: boolean;
}

export function platformServices(ports: PlatformPorts): { identity: IdentityService; resources: ResourceService; runs: JobRunService } {
  const identity = new IdentityService(ports);
  const resources = new ResourceService({ ...ports, principalExists: (name) => identity.principalExists(name) });
  const runs = new JobRunService(ports);
  return { identity, resources, runs };
}
