/**
 * Ordinary users of a local server, for tests that act as several of them: each is created by
 * the admin and gets a token, and `as` calls the API with one user's token.
 */
import { expect } from 'vitest';
import type { Json, LocalServer } from './local-server.ts';

export type ActAs = (user: string, method: string, path: string, body?: unknown, expected?: number) => Promise<Json>;

/** Creates the users: their tokens, and `as`, which answers a call's JSON, checking its status when one is expected. */
export async function signUpUsers(server: LocalServer, users: readonly string[]): Promise<{ tokens: Record<string, string>; as: ActAs }> {
  const tokens: Record<string, string> = {};
  for (const user of users) {
    expect((await server.api('POST', '/api/users', { username: user })).status).toBe(201);
    tokens[user] = (await server.api('POST', `/api/users/${user}/tokens`, {})).json.token;
  }
  const as: ActAs = async (user, method, path, body, expected) => {
    const reply = await server.api(method, path, body, {}, tokens[user]);
    if (expected !== undefined) expect(reply.status, `${method} ${path}: ${reply.text}`).toBe(expected);
    return reply.json;
  };
  return { tokens, as };
}
