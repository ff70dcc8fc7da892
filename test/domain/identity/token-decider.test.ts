import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../support/decider-spec.ts';
import { fold } from '../../../shared/domain/decider.ts';
import { ConflictError, NotFoundError } from '../../../shared/domain/errors.ts';
import { formatToken, tokenHash, tokenId } from '../../../shared/domain/identity/api-token.ts';
import {
  childExpiry,
  TOKEN_USE_RESOLUTION_MS,
  tokenDecider,
  tokenRefusal,
  tokenStreamId,
  type TokenCommand,
} from '../../../shared/domain/identity/token-decider.ts';
import type { TokenEvent } from '../../../events/principal-events.ts';

const AT = '2025-01-01T00:00:00.000Z';
const meta = { at: AT, actor: 'admin' };
const token = formatToken(new Uint8Array(32).fill(7));
const id = tokenId(token);
const hash = tokenHash(token);
const EXPIRES = '2025-02-01T00:00:00.000Z';

const issue = (overrides: Partial<Extract<TokenCommand, { kind: 'IssueToken' }>> = {}): TokenCommand => ({
  kind: 'IssueToken',
  tokenId: id,
  username: 'ann',
  hash,
  expiresAt: EXPIRES,
  scope: 'user',
  lineage: [],
  ...meta,
  ...overrides,
});
const revoke = (tokenIdToRevoke = id): TokenCommand => ({ kind: 'RevokeToken', tokenId: tokenIdToRevoke, ...meta });
const issued: TokenEvent = { type: 'TokenIssued', data: { token_id: id, username: 'ann', hash, expires_at: EXPIRES, scope: 'user', lineage: [] }, ...meta };
const revoked: TokenEvent = { type: 'TokenRevoked', data: {}, ...meta };

const given = deciderSpec(tokenDecider);

describe('token decider', () => {
  it('keys each token stream by the token id', () => {
    expect(tokenStreamId(id)).toBe(`token-${id}`);
  });

  describe('IssueToken', () => {
    it('issues a token holding only its hash, and issuing it again changes nothing', () => {
      // Act
      const { state } = given([]).when(issue()).then([issued]);

      // Assess
      expect(state).toEqual({ tokenId: id, username: 'ann', hash, expiresAt: EXPIRES, issuedAt: AT, issuedBy: 'admin', scope: 'user', lineage: [], lastUsedAt: null, revoked: false });
      expect(JSON.stringify(issued)).not.toContain(token);
    });

    it('refuses a different token under an existing id', () => {
      given([issued]).when(issue({ hash: tokenHash('cas_other') })).then(ConflictError);
      given([issued]).when(issue({ username: 'bob' })).then(ConflictError);
    });
  });

  it('records a task token and the lineage of a token issued with others', () => {
    const { state } = given([])
      .when(issue({ scope: 'task', lineage: ['root-id', 'parent-id'] }))
      .then([{ ...issued, data: { ...issued.data, scope: 'task', lineage: ['root-id', 'parent-id'] } }]);
    expect(state).toMatchObject({ scope: 'task', lineage: ['root-id', 'parent-id'] });
  });

  describe('RecordTokenUse', () => {
    const use = (at: string): TokenCommand => ({ kind: 'RecordTokenUse', tokenId: id, at, actor: `token:${id}` });

    it('records the first use, and a later one only once TOKEN_USE_RESOLUTION_MS has passed', () => {
      // Prepare
      const firstAt = '2025-01-01T01:00:00.000Z';
      const used: TokenEvent = { type: 'TokenUsed', data: {}, at: firstAt, actor: `token:${id}` };
      const justBefore = new Date(Date.parse(firstAt) + TOKEN_USE_RESOLUTION_MS - 1).toISOString();
      const onTime = new Date(Date.parse(firstAt) + TOKEN_USE_RESOLUTION_MS).toISOString();

      // Act
      const { state } = given([issued]).when(use(firstAt)).then([used]);

      // Assess
      expect(state?.lastUsedAt).toBe(firstAt);
      given([issued, used]).when(use(justBefore)).then([]);
      given([issued, used]).when(use(onTime)).then([{ ...used, at: onTime }]);
    });

    it('records no use of a revoked or unknown token', () => {
      given([issued, revoked]).when(use(AT)).then([]);
      given([]).when(use(AT)).then([]);
    });
  });

  describe('RevokeToken', () => {
    it('revokes an issued token, and revoking again changes nothing', () => {
      const { state } = given([issued]).when(revoke()).then([revoked]);
      expect(state?.revoked).toBe(true);
    });

    it('refuses an unknown token as not found', () => {
      given([]).when(revoke()).then(NotFoundError);
    });

    it('decides nothing for a revoked token', () => {
      given([issued, revoked]).when(revoke()).then([]);
    });
  });
});

describe('tokenRefusal', () => {
  const live = fold(tokenDecider, null, [issued]);

  it('refuses an unknown token', () => {
    expect(tokenRefusal(null, AT)).toBe('unknown');
  });

  it('refuses a revoked token, even before it expires', () => {
    expect(tokenRefusal(fold(tokenDecider, null, [issued, revoked]), AT)).toBe('revoked');
  });

  it('refuses an expired token from its expiry on', () => {
    expect(tokenRefusal(live, EXPIRES)).toBe('expired');
    expect(tokenRefusal(live, '2026-01-01T00:00:00.000Z')).toBe('expired');
  });

  it('accepts a live token before its expiry', () => {
    expect(tokenRefusal(live, '2025-01-31T23:59:59.999Z')).toBeUndefined();
  });

  it('accepts a token without expiry at any time', () => {
    const forever = fold(tokenDecider, null, [{ ...issued, data: { ...issued.data, expires_at: null } } as TokenEvent]);
    expect(tokenRefusal(forever, '2999-01-01T00:00:00.000Z')).toBeUndefined();
  });
});

describe('childExpiry', () => {
  const parent = '2025-03-01T00:00:00.000Z';

  it('keeps a child that asks for less than its parent has', () => {
    expect(childExpiry('2025-02-01T00:00:00.000Z', parent)).toBe('2025-02-01T00:00:00.000Z');
  });

  it('cuts a child that asks for more, or for no expiry, to its parent\'s expiry', () => {
    expect(childExpiry('2026-01-01T00:00:00.000Z', parent)).toBe(parent);
    expect(childExpiry(null, parent)).toBe(parent);
  });

  it('leaves the request as it is under a parent that never expires', () => {
    expect(childExpiry('2026-01-01T00:00:00.000Z', null)).toBe('2026-01-01T00:00:00.000Z');
    expect(childExpiry(null, null)).toBeNull();
  });
});
