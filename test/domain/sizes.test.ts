import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE, fargateAccepts, GPU_INSTANCE_TYPES, offeredSizes, SIZE_NAMES, SIZES, sizeNamed } from '../../shared/domain/sizes.ts';
import { serverInfo } from '../../functions/api/routes/platform-info-routes.ts';

const cpuSizes = SIZES.filter((s) => s.hardware === 'cpu');
const gpuSizes = SIZES.filter((s) => s.hardware === 'gpu');

describe('sizes', () => {
  it.each(cpuSizes.map((s) => [s.name, s] as const))('runs the CPU size %s on Fargate with a cpu/memory pair Fargate accepts', (_name, size) => {
    expect(size.capacity).toEqual({ kind: 'fargate' });
    expect(size.gpu).toBe(0);
    expect(fargateAccepts(size.task.cpu, size.task.memoryMiB)).toBe(true);
    expect(size.task).toEqual({ cpu: size.cores * 1024, memoryMiB: size.memoryGiB * 1024 });
  });

  it('offers T4, A10G and a multi-GPU size, each on an EC2 instance type', () => {
    const gpuTypes = new Set(gpuSizes.map((s) => s.gpuType));
    expect(gpuTypes).toContain('T4');
    expect(gpuTypes).toContain('A10G');
    expect(gpuSizes.some((s) => s.gpu > 1)).toBe(true);
    for (const size of gpuSizes) {
      expect(size.capacity.kind).toBe('ec2-gpu');
      expect(size.capacity.kind === 'ec2-gpu' && size.capacity.instanceType).toMatch(/^[a-z]\d[a-z]*\.\d*x?large$/);
    }
  });

  it('leaves headroom on the GPU instance for the ECS agent', () => {
    for (const size of gpuSizes) {
      expect(size.task.cpu).toBeLessThan(size.cores * 1024);
      expect(size.task.memoryMiB).toBeLessThanOrEqual(size.memoryGiB * 1024 - 2048);
    }
  });

  it('has unique names, and the default is one of them', () => {
    expect(new Set(SIZE_NAMES).size).toBe(SIZES.length);
    expect(sizeNamed(DEFAULT_SIZE)?.hardware).toBe('cpu');
    expect(sizeNamed('nope')).toBeUndefined();
  });
});

describe('fargateAccepts', () => {
  it('accepts pairs from the ECS task-size table', () => {
    expect(fargateAccepts(256, 512)).toBe(true);
    expect(fargateAccepts(1024, 8192)).toBe(true);
    expect(fargateAccepts(8192, 20 * 1024)).toBe(true);
    expect(fargateAccepts(16384, 120 * 1024)).toBe(true);
  });

  it('refuses pairs outside it', () => {
    expect(fargateAccepts(256, 4096)).toBe(false);
    expect(fargateAccepts(1024, 1024)).toBe(false);
    expect(fargateAccepts(8192, 18 * 1024)).toBe(false);
    expect(fargateAccepts(3072, 8192)).toBe(false);
  });
});

describe('offeredSizes', () => {
  it('offers every CPU size and the GPU sizes of the provisioned instance types only', () => {
    const offered = offeredSizes(['g5.xlarge', 'g5.12xlarge']).map((s) => s.name);
    expect(offered).toEqual([...cpuSizes.map((s) => s.name), 'g5xlarge', 'g5-12xlarge']);
  });

  it('offers no GPU size when none is provisioned, and every size without a list (local mode)', () => {
    expect(offeredSizes([]).every((s) => s.hardware === 'cpu')).toBe(true);
    expect(offeredSizes()).toEqual([...SIZES]);
  });

  it('is what GET /api/info/servers lists', () => {
    expect(Object.keys(serverInfo(offeredSizes(['g4dn.xlarge'])).sizes)).toEqual([...cpuSizes.map((s) => s.name), 'g4dnxlarge']);
  });

  it('knows the instance type of every GPU size', () => {
    expect([...GPU_INSTANCE_TYPES].sort()).toEqual([...new Set(gpuSizes.map((s) => (s.capacity.kind === 'ec2-gpu' ? s.capacity.instanceType : '')))].sort());
  });
});
