import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../shared/adapters/aws/token-bucket.ts';

describe('TokenBucket', () => {
  it('peeks at the wait without taking a token, and take agrees with it', () => {
    // Prepare
    let now = 0;
    const bucket = new TokenBucket(2, 1, () => now);

    // Act and assess
    expect(bucket.peek()).toBe(0);
    expect(bucket.peek()).toBe(0);
    expect(bucket.take()).toBe(0);
    expect(bucket.peek()).toBe(500);
    expect(bucket.take()).toBe(500);
    now = 499;
    expect(bucket.peek()).toBe(2);
    now = 500;
    expect(bucket.peek()).toBe(0);
    expect(bucket.take()).toBe(0);
  });
});
