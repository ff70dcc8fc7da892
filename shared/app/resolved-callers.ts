/**
 * Callers already resolved from the tokens they presented, so that a request whose token was
 * seen before costs a map lookup instead of two SHA-256s, three cache loads and their awaits
 * (a third of the local proxy's time per request).
 *
 * An entry holds only while nothing it was resolved from can have changed: the stream-state
 * cache's generation moves with every append of the process (a token revoked, a user locked,
 * regrouped or removed, anything), and time alone ends it at the first expiry among the token
 * and those it descends from, or when the token's use is due to be recorded again. Either way
 * the next request is resolved afresh, with every check. Used only where the cache sees every
 * append (local mode, a single writer); elsewhere another process's revocation could not be seen.
 *
 * The keys are the presented tokens themselves: they never leave this process's memory.
 */
import type { Caller } from '../domain/identity/credential.ts';
import { DEFAULT_MAX_ENTRIES, type StreamStateCache } from './stream-state-cache.ts';

interface Resolved {
  caller: Caller;
  generation: number;
  /** From then on the token must be checked again (an expiry, a use to record). */
  untilMs: number;
}

export class ResolvedCallers {
  readonly #entries = new Map<string, Resolved>();

  constructor(
    private readonly cache: StreamStateCache,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  /** The caller `token` resolved to, while that still holds at `nowMs`. */
  get(token: string, nowMs: number): Caller | undefined {
    const resolved = this.#entries.get(token);
    if (resolved === undefined) return undefined;
    if (resolved.generation === this.cache.generation && nowMs < resolved.untilMs) return resolved.caller;
    this.#entries.delete(token);
    return undefined;
  }

  /** Remembers a caller resolved from states read at or after `generation`, until `untilMs`. */
  remember(token: string, caller: Caller, generation: number, untilMs: number): void {
    if (generation !== this.cache.generation) return;
    // Beyond the bound, the oldest entry goes (Map order is insertion order).
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, { caller, generation, untilMs });
  }
}
