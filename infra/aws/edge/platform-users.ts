/**
 * A visitor as the platform knows it: its groups and whether it is an admin, which the load
 * balancer's signed claims do not carry (Cognito's userinfo has no groups). The sidecar asks the
 * platform API (`GET /api/user`) with the visitor's own Cognito access token, which the load
 * balancer forwards as `x-amzn-oidc-accesstoken`: no credential of the sidecar's own is needed,
 * so the task role (which the resource may choose, and which the app shares) grants nothing for it.
 *
 * Answers are kept `ttlMs` (default 30 s) per token: a group membership or admin flag changed on
 * the platform reaches the edge within that. The answer must name the same user the load
 * balancer signed for, or it is refused: a visitor cannot borrow another's access token.
 */
import { createHash } from 'node:crypto';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';

export interface PlatformUsersOptions {
  /** The API's base URL, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com`. */
  apiUrl: string;
  ttlMs?: number;
  /** At most this many answers are kept; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

/** The platform refused the token, or names someone else: the visitor is not who it claims. */
export class VisitorMismatch extends Error {
  override name = 'VisitorMismatch';
}

/** The platform could not be asked: not the visitor's fault, and nothing to decide on. */
export class PlatformUnavailable extends Error {
  override name = 'PlatformUnavailable';
}

const DEFAULT_TTL_MS = 30_000;
const DEFAULT_MAX_ENTRIES = 1000;
const TIMEOUT_MS = 5000;

interface Cached {
  user: User;
  expiresAt: number;
}

function asUser(body: unknown): User | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { username, groups, admin, email } = body as Record<string, unknown>;
  if (typeof username !== 'string' || !Array.isArray(groups) || !groups.every((g) => typeof g === 'string') || typeof admin !== 'boolean') return undefined;
  return { username, groups, admin, email: typeof email === 'string' ? email : null };
}

export class PlatformUsers {
  // By a hash of the token: the cache holds no credential.
  private readonly cache = new Map<string, Cached>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly options: PlatformUsersOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = options.now ?? (() => Date.now());
  }

  /** The platform's user for `accessToken`, which must be `username`. */
  async lookUp(accessToken: string, username: string): Promise<User> {
    const key = createHash('sha256').update(accessToken).digest('hex');
    const cached = this.cache.get(key);
    const user = cached && cached.expiresAt > this.now() ? cached.user : await this.ask(accessToken, key);
    if (user.username !== username) throw new VisitorMismatch('the access token the load balancer forwarded belongs to another user');
    return user;
  }

  private async ask(accessToken: string, key: string): Promise<User> {
    let response: Response;
    try {
      response = await fetch(`${this.options.apiUrl.replace(/\/+$/, '')}/api/user`, { headers: { authorization: `Bearer ${accessToken}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      throw new PlatformUnavailable(`the platform API did not answer: ${(error as Error).message}`);
    }
    if (response.status === 401 || response.status === 403) throw new VisitorMismatch('the platform does not accept this sign-in');
    if (!response.ok) throw new PlatformUnavailable(`the platform API answered ${response.status}`);
    const user = asUser(await response.json().catch(() => undefined));
    if (!user) throw new PlatformUnavailable('the platform API answered something that is not a user');
    this.cache.delete(key);
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { user, expiresAt: this.now() + this.ttlMs });
    return user;
  }
}
