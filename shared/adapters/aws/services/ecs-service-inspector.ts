/**
 * Reads a Cassini service as ECS describes it now (its deployments, counts and tags), for what
 * an event alone does not say: which revision a deployment was, and whether a stopped or
 * deleted service has wound down. Kept apart from the runtime so the task-state function's
 * bundle (and role) carries DescribeServices and nothing that changes a service.
 */
import { DescribeServicesCommand, ECSClient, type Service } from '@aws-sdk/client-ecs';
import { serviceNameFor } from './service-names.ts';
import { requiredEnv } from '../../required-env.ts';

export interface EcsServiceInspectorOptions {
  client: ECSClient;
  cluster: string;
}

export class EcsServiceInspector {
  constructor(private readonly options: EcsServiceInspectorOptions) {}

  /** The resource's service, or undefined when ECS has none by that name. */
  async describe(resourceId: string): Promise<Service | undefined> {
    const { services } = await this.options.client.send(
      new DescribeServicesCommand({ cluster: this.options.cluster, services: [serviceNameFor(resourceId)], include: ['TAGS'] }),
    );
    return services?.[0];
  }
}

/** The inspector of the stack's cluster (`ECS_CLUSTER`). */
export function ecsServiceInspectorFromEnv(env: NodeJS.ProcessEnv): EcsServiceInspector {
  return new EcsServiceInspector({ client: new ECSClient({}), cluster: requiredEnv(env, 'ECS_CLUSTER') });
}
