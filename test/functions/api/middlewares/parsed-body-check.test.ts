import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsedBodyProblem } from '../../../../functions/api/middlewares/parsed-body-check.ts';

const limits = { maxBytes: 256 * 1024, maxDepth: 64 };

describe('parsedBodyProblem', () => {
  it('never measures a JSON document as larger than the bytes it was sent in', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const tight = { maxBytes: Buffer.byteLength(text), maxDepth: 1000 };
        expect(parsedBodyProblem(JSON.parse(text), tight)).toBeUndefined();
      }),
    );
  });

  it('counts a value shared by reference (a YAML alias) at every use', () => {
    const anchor = 'x'.repeat(100 * 1024);
    expect(parsedBodyProblem({ a: anchor, b: anchor }, limits)).toBeUndefined();
    expect(parsedBodyProblem({ a: anchor, b: anchor, c: anchor }, limits)).toEqual({ kind: 'too-large' });
  });

  it('stops at the limit on a document that doubles at every level (a billion laughs), without walking it all', () => {
    // Prepare: 2^40 leaves by reference, built in 40 steps
    let node: unknown = 'lol';
    for (let i = 0; i < 40; i++) node = [node, node];

    // Act
    const started = performance.now();
    const problem = parsedBodyProblem(node, { maxBytes: 256 * 1024, maxDepth: 100 });

    // Assess
    expect(problem).toEqual({ kind: 'too-large' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses nesting past the depth limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(parsedBodyProblem(deep, limits)).toEqual({ kind: 'too-deep' });
  });

  it('names the path of a string or key holding an unpaired surrogate, and accepts a pair', () => {
    expect(parsedBodyProblem({ spec: { env: ['ok', 'a\ud800'] } }, limits)).toEqual({ kind: 'not-text', path: 'spec.env[1]' });
    expect(parsedBodyProblem({ spec: { ['k\udc00']: 'v' } }, limits)).toEqual({ kind: 'not-text', path: 'spec.k\udc00' });
    expect(parsedBodyProblem({ emoji: '\ud83d\ude00' }, limits)).toBeUndefined();
  });
});
