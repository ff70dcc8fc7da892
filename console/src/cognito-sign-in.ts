/**
 * Sign-in on AWS: Cognito's hosted sign-in with the authorization code grant and PKCE (RFC
 * 7636), for a public client that holds no secret. The verifier waits in sessionStorage for
 * the one redirect back (worthless without the code, and removed at once); the access token
 * it buys is kept in this page's memory only, so a reload signs in again (Cognito's own
 * session makes that a redirect, not a password).
 */
import type { ConsoleConfig } from './console-config.ts';

type Cognito = Extract<ConsoleConfig, { signIn: 'cognito' }>;

const PENDING_KEY = 'cassini.sign-in';

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

async function challengeOf(verifier: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** Sends the browser to Cognito's sign-in, to come back with a code for this verifier. */
export async function startCognitoSignIn(config: Cognito): Promise<void> {
  const verifier = randomText();
  const state = randomText();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: 'openid email profile',
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  });
  location.assign(`${config.signInUrl}/oauth2/authorize?${query}`);
}

/** The access token, when this page is Cognito's redirect back with a code; undefined otherwise. */
export async function finishCognitoSignIn(config: Cognito): Promise<string | undefined> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!code || !pending) return undefined;
  const { verifier, state, hash } = JSON.parse(pending) as { verifier: string; state: string; hash: string };
  history.replaceState(null, '', `${location.pathname}${hash}`);
  // A code this browser did not ask for (login forgery) is not exchanged.
  if (params.get('state') !== state) return undefined;
  const response = await fetch(`${config.signInUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: config.clientId, code, redirect_uri: config.redirectUri, code_verifier: verifier }),
  });
  if (!response.ok) return undefined;
  return ((await response.json()) as { access_token?: string }).access_token;
}

/** Ends the Cognito session too, so the next sign-in asks for the password again. */
export function cognitoSignOut(config: Cognito): void {
  location.assign(`${config.signInUrl}/logout?${new URLSearchParams({ client_id: config.clientId, logout_uri: config.redirectUri })}`);
}
