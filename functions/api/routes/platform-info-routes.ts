/** `GET /api/status` and `GET /api/info/servers`: what the platform is and offers. */
import * as z from 'zod';
import type { RouteDefinition } from '../api-types.ts';
import { SIZES, type Size } from '../../../shared/domain/sizes.ts';
import { AUTO_SHUTOFF_CHOICES, DISK_SPACE_CHOICES } from '../../../shared/domain/recipe/choices.ts';

const statusResponse = z.lazy(() => z.object({ status: z.literal('ok'), version: z.string() }));

/** What `GET /api/info/servers` answers: `sizes` is what this platform can run (on AWS, the GPU types its stack provisions). */
export function serverInfo(offered: readonly Size[] = SIZES) {
  const sizes = Object.fromEntries(
    offered.map((s) => [
      s.name,
      {
        name: s.name,
        display: s.display,
        display_name: s.display,
        cores: s.cores,
        memory: `${s.memoryGiB}Gi`,
        gpu: s.gpu,
        gpu_type: s.gpuType,
        hardware_type: s.hardware,
        cloud: 'aws',
        capacity: s.capacity.kind === 'fargate' ? 'fargate' : s.capacity.instanceType,
      },
    ]),
  );
  return { sizes, auto_shutoff: [...AUTO_SHUTOFF_CHOICES], disk_space: [...DISK_SPACE_CHOICES] };
}

export const platformInfoRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/status',
    summary: 'Health and version; needs no token.',
    access: 'public',
    response: { status: 200, schema: statusResponse, description: 'The service is up.' },
    handle: async ({ services }) => ({ status: 200, body: { status: 'ok', version: services.version } }),
  },
  {
    method: 'GET',
    path: '/api/info/servers',
    summary: 'The hardware sizes, auto-shutoff choices and disk sizes recipes may use.',
    access: 'user',
    response: { status: 200, description: 'Sizes keyed by name.' },
    handle: async ({ services }) => ({ status: 200, body: serverInfo(services.sizes) }),
  },
];
