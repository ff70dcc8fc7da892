import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouteTable } from '../../../../infra/local/proxy/route-table.ts';
import type { RouteViewer, RouteVisibility } from '../../../../shared/ports/service-runtime.ts';
import { call, startBackend, startFront, stop, type Backend, type Front } from './proxy-harness.ts';
import { UnauthenticatedError } from '../../../../shared/domain/errors.ts';
import type { User } from '../../../../shared/domain/identity/principal-decider.ts';

let backend: Backend;
let front: Front;

function publish(routes: RouteTable, subdomain: string, owner: string, visibility: RouteVisibility, viewers: RouteViewer[] = []): void {
  routes.publish({ resourceId: `id-${subdomain}`, owner, routes: [{ subdomain, containerPort: 8000, visibility }], viewers });
  routes.setReady(`id-${subdomain}`, [{ pod: `${subdomain}-0`, ports: { 8000: backend.port } }]);
}

beforeAll(async () => {
  backend = await startBackend();
  const routes = new RouteTable();
  publish(routes, 'private-ann', 'ann', 'owner', [{ name: 'carl', type: 'user' }, { name: 'auditors', type: 'group' }]);
  publish(routes, 'team-ml', 'ml', 'owner');
  publish(routes, 'org-ann', 'ann', 'org');
  publish(routes, 'open-ann', 'ann', 'unauthenticated');
  routes.publish({ resourceId: 'id-lab-ann', owner: 'ann', routes: [{ subdomain: 'lab-ann', containerPort: 8000, visibility: 'owner' }], viewers: [] });
  routes.setReady('id-lab-ann', [{ pod: 'lab-ann-0', ports: { 8000: backend.port }, authorization: 'token ide-secret-0' }]);
  front = await startFront(routes);
});

afterAll(async () => {
  front.proxy.close();
  await stop(front.server, backend.server);
});

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The headers the replica received for the last request it saw. */
function lastSeenHeaders(): Record<string, string | string[] | undefined> {
  return backend.seen.at(-1)!.headers;
}

describe('the local proxy, who may pass', () => {
  it.each([
    ['the owner', 'private-ann', 'ann'],
    ['a viewer named as a user', 'private-ann', 'carl'],
    ['a member of a viewer group', 'private-ann', 'dora'],
    ['an admin', 'private-ann', 'root'],
    ['a member of the owning group', 'team-ml', 'mia'],
    ['any user, on an org route', 'org-ann', 'bob'],
    ['any user, on an unauthenticated route', 'open-ann', 'bob'],
  ])('lets %s through (%s as %s)', async (_who, subdomain, username) => {
    const answer = await call(front, `${subdomain}.localhost`, '/', { headers: bearer(`tok-${username}`) });

    expect(answer.status).toBe(200);
    expect(answer.json<{ headers: Record<string, string> }>().headers['x-cassini-user']).toBe(username);
  });

  it('accepts the token in the "token <t>" form the sc client sends', async () => {
    const answer = await call(front, 'private-ann.localhost', '/', { headers: { authorization: 'token tok-ann' } });

    expect(answer.status).toBe(200);
  });

  it('refuses another user with 403 forbidden', async () => {
    const answer = await call(front, 'private-ann.localhost', '/', { headers: bearer('tok-bob') });

    expect(answer.status).toBe(403);
    expect(answer.json()).toEqual({ code: 'forbidden', message: expect.stringContaining('bob may not open this address') });
  });

  it('refuses a member of another group on a group-owned route with 403', async () => {
    const answer = await call(front, 'team-ml.localhost', '/', { headers: bearer('tok-dora') });

    expect(answer.status).toBe(403);
  });

  it.each(['private-ann', 'team-ml', 'org-ann'])('asks an anonymous caller of %s to sign in with 401 unauthenticated', async (subdomain) => {
    const answer = await call(front, `${subdomain}.localhost`);

    expect(answer.status).toBe(401);
    expect(answer.json()).toEqual({ code: 'unauthenticated', message: expect.stringMatching(/Authorization: Bearer <token>.*\?token=<token>/) });
  });

  it('lets an anonymous caller through an unauthenticated route, naming nobody to the app', async () => {
    const answer = await call(front, 'open-ann.localhost', '/', { headers: { 'x-cassini-user': 'root' } });

    expect(answer.status).toBe(200);
    expect(lastSeenHeaders()['x-cassini-user']).toBeUndefined();
  });

  it('refuses an unknown token with 401, even when the route admits any user', async () => {
    const answer = await call(front, 'org-ann.localhost', '/', { headers: bearer('tok-nobody') });

    expect(answer.status).toBe(401);
    expect(answer.json()).toEqual({ code: 'unauthenticated', message: expect.stringContaining('not valid') });
  });

  it('says so when the token has expired', async () => {
    const answer = await call(front, 'private-ann.localhost', '/', { headers: bearer('tok-expired') });

    expect(answer.status).toBe(401);
    expect(answer.json().message).toContain('expired');
  });

  it('refuses an unknown token given as ?token= with 401', async () => {
    const answer = await call(front, 'private-ann.localhost', '/?token=tok-nobody');

    expect(answer.status).toBe(401);
  });

  it('refuses a session cookie it does not accept with 401, and clears it', async () => {
    const answer = await call(front, 'private-ann.localhost', '/', { headers: { cookie: 'cassini_session=tok-nobody' } });

    expect(answer.status).toBe(401);
    expect(answer.headers['set-cookie']).toEqual([expect.stringMatching(/^cassini_session=;.*Max-Age=0/)]);
  });

  it('takes a malformed session cookie for no credentials', async () => {
    const answer = await call(front, 'private-ann.localhost', '/', { headers: { cookie: 'cassini_session=%E0%A4%A' } });

    expect(answer.status).toBe(401);
    expect(answer.json().code).toBe('unauthenticated');
  });
});

describe('the local proxy, signing in a browser with ?token=', () => {
  it('sets a host-only HttpOnly session cookie and redirects to the same address without the token', async () => {
    // Act
    const answer = await call(front, 'private-ann.localhost', '/lab/tree?a=1&token=tok-ann&b=x%20y');

    // Assess
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe('/lab/tree?a=1&b=x%20y');
    const [cookie] = answer.headers['set-cookie']!;
    expect(cookie).toMatch(/^cassini_session=tok-ann;/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
  });

  it('then accepts the cookie, and the app behind never sees it', async () => {
    // Prepare
    const signIn = await call(front, 'private-ann.localhost', '/?token=tok-carl');
    const sessionCookie = signIn.headers['set-cookie']![0]!.split(';')[0]!;

    // Act
    const answer = await call(front, 'private-ann.localhost', '/notebooks', { headers: { cookie: `theme=dark; ${sessionCookie}; _xsrf=abc` } });

    // Assess
    expect(answer.status).toBe(200);
    expect(lastSeenHeaders().cookie).toBe('theme=dark; _xsrf=abc');
    expect(lastSeenHeaders()['x-cassini-user']).toBe('carl');
  });

  it('redirects a form post with 307 so that its method and body are kept', async () => {
    const answer = await call(front, 'private-ann.localhost', '/submit?token=tok-ann', { method: 'POST', body: 'x=1' });

    expect(answer.status).toBe(307);
    expect(answer.headers.location).toBe('/submit');
  });

  it('never redirects to another host', async () => {
    const answer = await call(front, 'private-ann.localhost', '//elsewhere.example/?token=tok-ann');

    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe('/elsewhere.example/');
  });

  it('never redirects to another host through a backslash, which browsers read as a slash (issue 19, finding 3)', async () => {
    // Act: the attack as filed, `GET /\evil.example/?token=<valid>`
    const answer = await call(front, 'open-ann.localhost', '/\\evil.example/?token=tok-ann');

    // Assess: the browser stays on the app's host, and the app gets the path it was asked for
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe('/%5Cevil.example/');
    expect(new URL(answer.headers.location!, `http://open-ann.localhost:${front.port}/`).host).toBe(`open-ann.localhost:${front.port}`);
  });

  it('sets no session for a valid token of a user the route refuses (issue 19, finding 3: login CSRF)', async () => {
    // Act: bob's valid token on ann's owner-only route
    const answer = await call(front, 'private-ann.localhost', '/?token=tok-bob');

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.json().code).toBe('forbidden');
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect(answer.headers.location).toBeUndefined();
  });
});

describe('the local proxy, keeping platform credentials from the app', () => {
  it('removes an Authorization header that carried the platform token', async () => {
    await call(front, 'private-ann.localhost', '/', { headers: bearer('tok-ann') });

    expect(lastSeenHeaders().authorization).toBeUndefined();
    expect(lastSeenHeaders()['x-cassini-user']).toBe('ann');
  });

  it('removes the session cookie and keeps the other cookies', async () => {
    await call(front, 'org-ann.localhost', '/', { headers: { cookie: 'cassini_session=tok-bob; app=1' } });

    expect(lastSeenHeaders().cookie).toBe('app=1');
  });

  it('removes the Cookie header when the session cookie was all it held', async () => {
    await call(front, 'org-ann.localhost', '/', { headers: { cookie: 'cassini_session=tok-bob' } });

    expect(lastSeenHeaders().cookie).toBeUndefined();
  });

  it('removes the platform token from the header on an unauthenticated route too', async () => {
    await call(front, 'open-ann.localhost', '/', { headers: bearer('tok-bob') });

    expect(lastSeenHeaders().authorization).toBeUndefined();
    expect(lastSeenHeaders()['x-cassini-user']).toBe('bob');
  });

  it("passes an app's own bearer token and ?token= through an unauthenticated route", async () => {
    await call(front, 'open-ann.localhost', '/api?token=app-secret', { headers: bearer('app-key') });

    expect(lastSeenHeaders().authorization).toBe('Bearer app-key');
    expect(backend.seen.at(-1)!.url).toBe('/api?token=app-secret');
  });

  it("passes another Authorization scheme through to the app when the caller signed in with the cookie", async () => {
    await call(front, 'private-ann.localhost', '/', { headers: { authorization: 'Basic YXBwOnB3', cookie: 'cassini_session=tok-ann' } });

    expect(lastSeenHeaders().authorization).toBe('Basic YXBwOnB3');
    expect(lastSeenHeaders().cookie).toBeUndefined();
  });

  it('replaces an X-Cassini-User header the caller sent with the real user', async () => {
    await call(front, 'private-ann.localhost', '/', { headers: { ...bearer('tok-ann'), 'x-cassini-user': 'root' } });

    expect(lastSeenHeaders()['x-cassini-user']).toBe('ann');
  });

  /** The backend's view as a CGI/WSGI server builds it (PEP 3333): `HTTP_` + the name upper-cased, `-` made `_`; repeats joined. */
  function wsgiEnviron(): Record<string, string> {
    const raw = backend.seen.at(-1)!.rawHeaders;
    const environ: Record<string, string> = {};
    for (let i = 0; i < raw.length; i += 2) {
      const key = `HTTP_${raw[i]!.toUpperCase().replace(/-/g, '_')}`;
      environ[key] = key in environ ? `${environ[key]},${raw[i + 1]}` : raw[i + 1]!;
    }
    return environ;
  }

  it("removes X_Cassini_User, which a WSGI app reads as the identity header (issue 19, finding 5)", async () => {
    // Act: bob claims to be ann on ann's org route
    await call(front, 'org-ann.localhost', '/', { headers: { ...bearer('tok-bob'), X_Cassini_User: 'ann' } });

    // Assess
    expect(wsgiEnviron().HTTP_X_CASSINI_USER).toBe('bob');
  });

  it.each(['X_CASSINI_USER', 'x-cassini_user', 'X_Cassini-User', 'X-CASSINI-USER'])('removes %s from an anonymous caller of an unauthenticated route', async (spelling) => {
    await call(front, 'open-ann.localhost', '/', { headers: { [spelling]: 'root' } });

    expect(wsgiEnviron().HTTP_X_CASSINI_USER).toBeUndefined();
    expect(backend.seen.at(-1)!.rawHeaders.filter((name) => /cassini/i.test(name))).toEqual([]);
  });
});

describe("the local proxy and an IDE's own token", () => {
  it("sends the replica's token as Authorization in place of the caller's", async () => {
    const answer = await call(front, 'lab-ann.localhost', '/lab', { headers: bearer('tok-ann') });

    expect(answer.status).toBe(200);
    expect(lastSeenHeaders().authorization).toBe('token ide-secret-0');
  });

  it('never sends it for someone the route refuses, nor in any answer', async () => {
    const before = backend.seen.length;

    const answer = await call(front, 'lab-ann.localhost', '/lab', { headers: bearer('tok-bob') });

    expect(answer.status).toBe(403);
    expect(backend.seen.length).toBe(before);
    expect(answer.body).not.toContain('ide-secret-0');
  });
});

describe('the local proxy, with a caller known without a read (authenticate answers synchronously)', () => {
  it('lets the owner through, and refuses another user with 403 and an unknown token with 401, as when it answers later', async () => {
    // Prepare: the platform's authenticate answers remembered tokens synchronously, and throws synchronously too
    const routes = new RouteTable();
    publish(routes, 'private-ann', 'ann', 'owner');
    const known: Record<string, User> = { 'tok-ann': { username: 'ann', email: null, groups: [], admin: false }, 'tok-bob': { username: 'bob', email: null, groups: [], admin: false } };
    const sync = await startFront(routes, {
      authenticate: (token) => {
        const user = known[token];
        if (user === undefined) throw new UnauthenticatedError('The API token is not valid.');
        return user;
      },
    });

    try {
      // Act
      const owner = await call(sync, 'private-ann.localhost', '/', { headers: bearer('tok-ann') });
      const other = await call(sync, 'private-ann.localhost', '/', { headers: bearer('tok-bob') });
      const unknown = await call(sync, 'private-ann.localhost', '/', { headers: bearer('tok-nobody') });

      // Assess
      expect(owner.status).toBe(200);
      expect(owner.json<{ headers: Record<string, string> }>().headers['x-cassini-user']).toBe('ann');
      expect(other.status).toBe(403);
      expect(unknown.status).toBe(401);
      expect(unknown.json()).toMatchObject({ code: 'unauthenticated', message: expect.stringContaining('not valid') });
    } finally {
      sync.proxy.close();
      await stop(sync.server);
    }
  });
});
