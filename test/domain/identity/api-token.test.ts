import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatToken, TOKEN_BYTES, tokenHash, tokenId, tokenMatches } from '../../../shared/domain/identity/api-token.ts';

describe('api tokens', () => {
  describe('formatToken', () => {
    it('formats 32 random bytes as cas_ and 43 base64url characters that decode back to them', () => {
      // Prepare
      const bytes = randomBytes(TOKEN_BYTES);

      // Act
      const token = formatToken(bytes);

      // Assess
      expect(TOKEN_BYTES).toBe(32);
      expect(token).toMatch(/^cas_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token.slice(4), 'base64url').equals(bytes)).toBe(true);
    });

    it('refuses any other number of bytes', () => {
      expect(() => formatToken(new Uint8Array(31))).toThrow(/32 random bytes/);
      expect(() => formatToken(new Uint8Array(33))).toThrow(/32 random bytes/);
    });

    it('gives different bytes different tokens', () => {
      expect(formatToken(new Uint8Array(32).fill(1))).not.toBe(formatToken(new Uint8Array(32).fill(2)));
    });
  });

  describe('tokenHash', () => {
    it('is the hex SHA-256 of the token, which does not contain the token', () => {
      const token = formatToken(randomBytes(32));
      const hash = tokenHash(token);
      expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).not.toContain(token.slice(4));
    });
  });

  describe('tokenMatches', () => {
    const token = formatToken(randomBytes(32));
    const stored = tokenHash(token);

    it('accepts the token whose hash is stored', () => {
      expect(tokenMatches(token, stored)).toBe(true);
    });

    it('refuses another token, and the hash presented as a token', () => {
      expect(tokenMatches(formatToken(randomBytes(32)), stored)).toBe(false);
      expect(tokenMatches(token + 'x', stored)).toBe(false);
      expect(tokenMatches(stored, stored)).toBe(false);
    });

    it('refuses, without throwing, a stored hash of the wrong length', () => {
      expect(tokenMatches(token, stored.slice(0, 62))).toBe(false);
      expect(tokenMatches(token, '')).toBe(false);
    });
  });

  describe('tokenId', () => {
    it('is deterministic, 24 hex digits, and neither the hash nor a prefix of it', () => {
      // Prepare
      const token = formatToken(randomBytes(32));

      // Act
      const id = tokenId(token);

      // Assess
      expect(tokenId(token)).toBe(id);
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      expect(tokenHash(token).startsWith(id)).toBe(false);
      expect(tokenId(formatToken(randomBytes(32)))).not.toBe(id);
    });
  });
});
