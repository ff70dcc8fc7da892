/** The composition root both runtimes share: services over a store, read models and a clock. */
import type { EventStore } from '../ports/event-store.ts';
import type { RecipeViews } from '../ports/recipe-views.ts';
import type { Clock, RandomSource } from '../ports/platform-clock.ts';
import { IdentityService } from './identity-service.ts';
import { ResourceService } from './resource-service.ts';

export interface PlatformPorts {
  store: EventStore;
  views: RecipeViews;
  clock: Clock;
  random: RandomSource;
  routeUrl(subdomain: string): string;
  dindEnabled?: boolean;
}

export function platformServices(ports: PlatformPorts): { identity: IdentityService; resources: ResourceService } {
  const identity = new IdentityService(ports);
  const resources = new ResourceService({ ...ports, principalExists: (name) => identity.principalExists(name) });
  return { identity, resources };
}
