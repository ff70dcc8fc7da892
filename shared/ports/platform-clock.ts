/** Time and randomness, the two things the core never makes itself. */
export interface Clock {
  now(): Date;
}

export interface RandomSource {
  bytes(count: number): Uint8Array;
}
