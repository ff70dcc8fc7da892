/**
 * What the edge sidecar of a service task (infra/aws/edge) is told, by the reactor that registers the task
 * definition (shared/adapters/aws/services/edge-sidecar.ts), in one JSON environment variable. It is
 * the route rule of the revision (owner, viewers, each route's visibility) and where the
 * sidecar listens and forwards. zod/mini keeps the sidecar's bundle small enough to travel
 * inside the task definition.
 */
import * as z from 'zod/mini';

/** The variable the sidecar reads its configuration from. */
export const EDGE_CONFIG_VARIABLE = 'CASSINI_EDGE_CONFIG';

const port = z.number().check(z.int(), z.minimum(1), z.maximum(65535));

const edgeRoute = z.object({
  /** Where the sidecar listens: the port the route's target group sends to. */
  listenPort: port,
  /** The app's container port the route serves, on 127.0.0.1 of the task. */
  appPort: port,
  visibility: z.enum(['owner', 'org', 'unauthenticated']),
  /** The route's `allow_cross_origin`: pages of other sites may change state and open WebSockets with a visitor's sign-in. */
  allowCrossOrigin: z.optional(z.boolean()),
});

export const edgeConfigSchema = z.object({
  /** The load balancer whose signature (`signer`) the sidecar accepts. */
  loadBalancerArn: z.string().check(z.startsWith('arn:')),
  /** The region of the load balancer's public signing keys. */
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/)),
  /** The platform API, asked who a visitor is (groups, admin) when the route needs to know. */
  apiUrl: z.string().check(z.url()),
  owner: z.string(),
  viewers: z.array(z.object({ name: z.string(), type: z.optional(z.enum(['user', 'group'])) })),
  routes: z.array(edgeRoute).check(z.minLength(1)),
  /** The load balancer's health checks: the status of the app's health check path, and nothing else. */
  health: z.object({ listenPort: port, appPort: port, path: z.string().check(z.startsWith('/')) }),
});

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;
export type EdgeRoute = z.infer<typeof edgeRoute>;

/** The configuration in `env`, or an error naming what is wrong: the sidecar then exits, and ECS stops the task. */
export function edgeConfigFromEnv(env: NodeJS.ProcessEnv): EdgeConfig {
  const text = env[EDGE_CONFIG_VARIABLE];
  if (!text) throw new Error(`${EDGE_CONFIG_VARIABLE} is not set`);
  const parsed = edgeConfigSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${EDGE_CONFIG_VARIABLE}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
