/**
 * Where a size runs on ECS: FARGATE (or FARGATE_SPOT when the plan asks for spot) for CPU
 * sizes, and for a GPU size the capacity provider of its own instance type. The stack gives
 * every GPU instance type it provisions its own Auto Scaling group and capacity provider
 * (infra/aws/constructs/compute.ts): managed scaling launches what the group holds, so a task
 * that needs a g5.xlarge must ask the provider whose group holds only g5.xlarge ("Amazon ECS
 * capacity providers for EC2 workloads", Amazon ECS Developer Guide). RunTask, CreateService
 * and UpdateService all take their strategy from here, so a resize between GPU types, or
 * between GPU and CPU, changes the provider with the size.
 */
import type { CapacityProviderStrategyItem } from '@aws-sdk/client-ecs';
import type { Size } from '../../../domain/sizes.ts';

/** GPU instance type → the name of its capacity provider. */
export type GpuCapacityProviders = Readonly<Record<string, string>>;

/** A GPU size whose instance type this stack does not provision: no retry can place it. */
export class MissingGpuCapacityError extends Error {
  override name = 'MissingGpuCapacityError';
}

export function capacityFor(size: Size, spot: boolean, gpuProviders: GpuCapacityProviders): CapacityProviderStrategyItem[] {
  if (size.capacity.kind === 'fargate') return [{ capacityProvider: spot ? 'FARGATE_SPOT' : 'FARGATE', weight: 1 }];
  // GPU tasks take their type's provider whether or not spot was asked for: spot is a price
  // preference, and the GPU groups are on-demand.
  const provider = gpuProviders[size.capacity.instanceType];
  if (!provider) {
    throw new MissingGpuCapacityError(
      `size ${size.name} needs ${size.capacity.instanceType} instances, which this platform does not provision; ` +
        `pick a size GET /api/info/servers lists, or ask an operator to add ${size.capacity.instanceType} to gpuInstanceTypes`,
    );
  }
  return [{ capacityProvider: provider, weight: 1 }];
}

/** Why `size` cannot be placed here, or undefined when it can. */
export function missingCapacity(size: Size, gpuProviders: GpuCapacityProviders): string | undefined {
  try {
    capacityFor(size, false, gpuProviders);
    return undefined;
  } catch (error) {
    if (error instanceof MissingGpuCapacityError) return error.message;
    throw error;
  }
}

/** `GPU_CAPACITY_PROVIDERS`: `type=provider` pairs, comma-separated, as the stack writes them (Compute.taskEnvironment). */
export function gpuCapacityProvidersFromEnv(env: NodeJS.ProcessEnv): GpuCapacityProviders {
  // Present but empty when the stack provisions no GPU type.
  const value = env.GPU_CAPACITY_PROVIDERS;
  if (value === undefined) throw new Error('GPU_CAPACITY_PROVIDERS must be set');
  const pairs = value.split(',').filter(Boolean);
  return Object.fromEntries(
    pairs.map((pair) => {
      const [type, provider] = pair.split('=');
      if (!type || !provider) throw new Error(`GPU_CAPACITY_PROVIDERS holds "${pair}", which is not instance-type=capacity-provider`);
      return [type, provider];
    }),
  );
}
