/** The real clock and the operating system's random bytes. */
import { randomBytes } from 'node:crypto';
import type { Clock, RandomSource } from '../ports/platform-clock.ts';

export const systemClock: Clock = { now: () => new Date() };
export const systemRandom: RandomSource = { bytes: (count) => new Uint8Array(randomBytes(count)) };
