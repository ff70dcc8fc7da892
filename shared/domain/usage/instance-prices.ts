/**
 * Prices per instance-hour by size, turning usage hours into cost. Optional: without a table
 * the usage answers carry hours only. An operator gives one as JSON (`{"small": 0.05, ...}`), or
 * `"default"` for the table below.
 *
 * The default table is AWS's public on-demand pricing in US East (N. Virginia), USD, read on
 * PRICES_AS_OF: Fargate Linux/x86 bills per vCPU-hour and per GB-hour of memory
 * ("AWS Fargate Pricing", https://aws.amazon.com/fargate/pricing/), so a CPU size costs its cores
 * and memory at those rates; a GPU size costs its EC2 instance's on-demand Linux hour
 * ("Amazon EC2 On-Demand Pricing", https://aws.amazon.com/ec2/pricing/on-demand/).
 */
import * as z from 'zod';
import { SIZES } from '../sizes.ts';

export const PRICES_AS_OF = '2026-12-01';
const FARGATE_VCPU_HOUR = 0.04048;
const FARGATE_GB_HOUR = 0.004445;
const EC2_GPU_HOUR: Readonly<Record<string, number>> = {
  'g4dn.xlarge': 0.526,
  'g4dn.4xlarge': 1.204,
  'g5.xlarge': 1.006,
  'g5.12xlarge': 5.672,
  'p3.8xlarge': 12.24,
};

export type PriceTable = Readonly<Record<string, number>>;

function roundCents(value: number): number {
  return Math.round(value * 1e5) / 1e5;
}

/** Every offered size's on-demand hour, as of PRICES_AS_OF. */
export const DEFAULT_PRICES: PriceTable = Object.fromEntries(
  SIZES.flatMap((size) => {
    if (size.capacity.kind === 'fargate') return [[size.name, roundCents(size.cores * FARGATE_VCPU_HOUR + size.memoryGiB * FARGATE_GB_HOUR)]];
    const hour = EC2_GPU_HOUR[size.capacity.instanceType];
    return hour === undefined ? [] : [[size.name, hour]];
  }),
);

const priceTableSchema = z.record(z.string().min(1), z.number().nonnegative().finite());

/** Reads a price table setting: `default`, or a JSON object of size to price per hour; `source` names it in errors. */
export function parsePriceTable(text: string, source: string): PriceTable {
  if (text.trim() === 'default') return DEFAULT_PRICES;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${source} must be "default" or a JSON object of size name to price per hour, e.g. {"small": 0.05}; it is not JSON.`);
  }
  const parsed = priceTableSchema.safeParse(value);
  if (!parsed.success) throw new Error(`${source} must be "default" or a JSON object of size name to a price per hour of 0 or more, e.g. {"small": 0.05}.`);
  return parsed.data;
}
