/**
 * How this console signs in, read from `/config.json` beside the page: locally the platform
 * answers `{"signIn": "token"}` (an API token into an HttpOnly cookie); on AWS the deployment
 * writes the Cognito app client, its hosted sign-in address and the API's URL there.
 */
export type ConsoleConfig =
  | { signIn: 'token' }
  | { signIn: 'cognito'; apiUrl: string; clientId: string; signInUrl: string; redirectUri: string };

export async function loadConsoleConfig(): Promise<ConsoleConfig> {
  try {
    const response = await fetch('/config.json', { credentials: 'omit' });
    if (!response.ok) return { signIn: 'token' };
    const config = (await response.json()) as ConsoleConfig;
    return config.signIn === 'cognito' ? config : { signIn: 'token' };
  } catch {
    return { signIn: 'token' };
  }
}
