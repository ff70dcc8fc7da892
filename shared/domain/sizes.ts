/**
 * The hardware catalog. CPU sizes run on Fargate, so each one is a cpu/memory pair Fargate
 * accepts (0.25–16 vCPU with the memory steps AWS documents). GPU sizes need EC2 capacity
 * (Fargate has no GPUs) and name the instance type the GPU capacity provider launches; their
 * task reservation leaves headroom for the ECS agent on the instance.
 */
export interface Size {
  name: string;
  display: string;
  cores: number;
  /** Memory in GiB the task gets. */
  memoryGiB: number;
  gpu: number;
  gpuType: string | null;
  hardware: 'cpu' | 'gpu';
  /** ECS task-level cpu units (1024 per vCPU) and memory (MiB). */
  task: { cpu: number; memoryMiB: number };
  /** Where it runs: Fargate, or an EC2 GPU instance type. */
  capacity: { kind: 'fargate' } | { kind: 'ec2-gpu'; instanceType: string };
}

function fargate(name: string, display: string, cores: number, memoryGiB: number): Size {
  return {
    name,
    display,
    cores,
    memoryGiB,
    gpu: 0,
    gpuType: null,
    hardware: 'cpu',
    task: { cpu: Math.round(cores * 1024), memoryMiB: memoryGiB * 1024 },
    capacity: { kind: 'fargate' },
  };
}

function gpu(name: string, display: string, instanceType: string, cores: number, memoryGiB: number, count: number, type: string): Size {
  // Leave one vCPU's worth and 10% memory (at least 2 GiB) for the ECS agent and the OS.
  const reservedMiB = Math.max(2048, Math.round(memoryGiB * 1024 * 0.1));
  return {
    name,
    display,
    cores,
    memoryGiB,
    gpu: count,
    gpuType: type,
    hardware: 'gpu',
    task: { cpu: (cores - 1) * 1024, memoryMiB: memoryGiB * 1024 - reservedMiB },
    capacity: { kind: 'ec2-gpu', instanceType },
  };
}

export const SIZES: readonly Size[] = [
  fargate('small', 'Small - 1 core - 2 GiB', 1, 2),
  fargate('medium', 'Medium - 2 cores - 4 GiB', 2, 4),
  fargate('large', 'Large - 2 cores - 16 GiB', 2, 16),
  fargate('xlarge', 'XLarge - 4 cores - 30 GiB', 4, 30),
  fargate('2xlarge', '2XLarge - 8 cores - 60 GiB', 8, 60),
  fargate('4xlarge', '4XLarge - 16 cores - 120 GiB', 16, 120),
  gpu('g4dnxlarge', 'T4 - 4 cores - 16 GiB - 1 GPU', 'g4dn.xlarge', 4, 16, 1, 'T4'),
  gpu('g4dn4xlarge', 'T4 - 16 cores - 64 GiB - 1 GPU', 'g4dn.4xlarge', 16, 64, 1, 'T4'),
  gpu('g5xlarge', 'A10G - 4 cores - 16 GiB - 1 GPU', 'g5.xlarge', 4, 16, 1, 'A10G'),
  gpu('g5-12xlarge', 'A10G - 48 cores - 192 GiB - 4 GPUs', 'g5.12xlarge', 48, 192, 4, 'A10G'),
  gpu('p3-8xlarge', 'V100 - 32 cores - 244 GiB - 4 GPUs', 'p3.8xlarge', 32, 244, 4, 'V100'),
];

export const DEFAULT_SIZE = 'medium';

/** The EC2 instance types the GPU sizes run on. */
export const GPU_INSTANCE_TYPES: readonly string[] = [...new Set(SIZES.flatMap((s) => (s.capacity.kind === 'ec2-gpu' ? [s.capacity.instanceType] : [])))];

/**
 * The sizes a platform offers: every CPU size, and the GPU sizes whose instance type it
 * provisions. Without a list (local mode, where GPU sizes run as plain processes) all of them.
 */
export function offeredSizes(gpuInstanceTypes?: readonly string[]): Size[] {
  return SIZES.filter((s) => s.capacity.kind === 'fargate' || gpuInstanceTypes === undefined || gpuInstanceTypes.includes(s.capacity.instanceType));
}

export const SIZE_NAMES: readonly string[] = SIZES.map((s) => s.name);

export function sizeNamed(name: string): Size | undefined {
  return SIZES.find((s) => s.name === name);
}

/** Fargate's accepted memory (GiB) per vCPU count, from the ECS task-size table. */
export function fargateAccepts(cpuUnits: number, memoryMiB: number): boolean {
  const gib = memoryMiB / 1024;
  const allowed: Record<number, number[]> = {
    256: [0.5, 1, 2],
    512: [1, 2, 3, 4],
    1024: [2, 3, 4, 5, 6, 7, 8],
    2048: range(4, 16, 1),
    4096: range(8, 30, 1),
    8192: range(16, 60, 4),
    16384: range(32, 120, 8),
  };
  return (allowed[cpuUnits] ?? []).includes(gib);
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}
