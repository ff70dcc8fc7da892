/**
 * The edge sidecar of a deployment's or workspace's task on AWS: the only container the load
 * balancer reaches. It admits each request by the route rule and forwards it to the app on
 * 127.0.0.1 (README, "Isolation"). Bundled into one CommonJS file (function-bundle.ts,
 * `bundleEdgeSidecar`) that the task definition carries (shared/adapters/aws/services/edge-sidecar.ts).
 *
 * Every route's port is bound before the health port, and the app's container starts only once
 * the health port answers (ECS `dependsOn` HEALTHY): the app can never take a port the load
 * balancer sends to. A port that cannot be bound ends the sidecar, and with it the task.
 */
import type { Server } from 'node:http';
import { AlbIdentity } from './alb-identity.ts';
import { edgeConfigFromEnv } from '../../../shared/adapters/aws/services/edge-config.ts';
import { createHealthServer, createRouteServer, type EdgeLogger } from './edge-server.ts';
import { PlatformUsers } from './platform-users.ts';

const logger: EdgeLogger = {
  error: (message, attributes) => console.error(JSON.stringify({ level: 'error', message, ...attributes })),
};

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Every interface: the load balancer reaches the task's address.
    server.listen(port, '0.0.0.0', () => resolve());
  });
}

async function main(): Promise<void> {
  const config = edgeConfigFromEnv(process.env);
  const deps = {
    identity: new AlbIdentity({ region: config.region, loadBalancerArn: config.loadBalancerArn }),
    users: new PlatformUsers({ apiUrl: config.apiUrl }),
  };
  for (const route of config.routes) await listen(createRouteServer(config, route, deps, logger), route.listenPort);
  await listen(createHealthServer(config.health), config.health.listenPort);
  console.log(JSON.stringify({ level: 'info', message: 'edge serving', routes: config.routes.map((r) => `${r.listenPort}->${r.appPort} ${r.visibility}`) }));
}

main().catch((error: unknown) => {
  logger.error('edge cannot start', { error: String(error) });
  process.exit(1);
});
