/**
 * The callback URLs of the load balancer's Cognito app client (infra/aws/constructs/ingress.ts).
 * An `authenticate-cognito` rule sends the browser back to `https://<host>/oauth2/idpresponse`,
 * and Cognito accepts that only when the URL is listed on the client; it takes no wildcard, so
 * each signed-in subdomain is added when its route is made and removed when it is withdrawn.
 *
 * UpdateUserPoolClient replaces the client's whole configuration and has no condition, so a
 * change is: describe, update with every updatable field carried over and the list merged,
 * describe again. When another writer's update replaced ours in between, the merge is made
 * again on what it wrote, a bounded number of times. Each writer checks only its own URLs:
 * one whose change we overwrote finds it missing on its own check and merges again.
 *
 * A client lists at most 100 callback URLs (Cognito's quota "Callback URLs per app client");
 * one more fails with a CallbackUrlLimitError that says so (README, "The 101st route").
 */
import {
  DescribeUserPoolClientCommand,
  UpdateUserPoolClientCommand,
  type CognitoIdentityProviderClient,
  type UpdateUserPoolClientCommandInput,
  type UserPoolClientType,
} from '@aws-sdk/client-cognito-identity-provider';
import { errorMessage, isNamed } from '../sdk-errors.ts';

/** Cognito's default quota of callback URLs per app client. */
export const CALLBACK_URL_QUOTA = 100;
const MERGE_ATTEMPTS = 4;

/** Where the load balancer's Cognito sign-in returns to on a host. */
export function signInCallbackUrl(host: string): string {
  return `https://${host}/oauth2/idpresponse`;
}

/** The user pool id in a user pool ARN (`arn:aws:cognito-idp:<region>:<account>:userpool/<id>`). */
export function userPoolIdOf(userPoolArn: string): string {
  const id = /:userpool\/([^/]+)$/.exec(userPoolArn)?.[1];
  if (!id) throw new Error(`not a Cognito user pool ARN: ${userPoolArn}`);
  return id;
}

/** The app client cannot list one more callback URL; a signed-in route must be freed first. */
export class CallbackUrlLimitError extends Error {
  override name = 'CallbackUrlLimitError';
  constructor(urls: string[], quota: number, cause?: unknown) {
    super(
      `Cannot sign in at ${urls.map((u) => new URL(u).host).join(', ')}: the load balancer's Cognito app client has reached ` +
        `its quota of "Callback URLs per app client" (${quota} by default), one per signed-in subdomain. ` +
        'Stop or delete a deployment or workspace that signs visitors in to free one, then start this one again.',
      ...(cause === undefined ? [] : [{ cause }]),
    );
  }
}

/** What UpdateUserPoolClient sets besides the client's identity and its callback URLs. */
type CarriedOver = Exclude<keyof UpdateUserPoolClientCommandInput, 'UserPoolId' | 'ClientId' | 'CallbackURLs'>;

/**
 * Every field of the update that the description holds. Typed so that an SDK that adds an
 * updatable field fails to compile until it is listed here: a field left out would be reset.
 */
const CARRIED_OVER: { [K in CarriedOver]-?: K extends keyof UserPoolClientType ? true : never } = {
  ClientName: true,
  RefreshTokenValidity: true,
  AccessTokenValidity: true,
  IdTokenValidity: true,
  TokenValidityUnits: true,
  ReadAttributes: true,
  WriteAttributes: true,
  ExplicitAuthFlows: true,
  SupportedIdentityProviders: true,
  LogoutURLs: true,
  DefaultRedirectURI: true,
  AllowedOAuthFlows: true,
  AllowedOAuthScopes: true,
  AllowedOAuthFlowsUserPoolClient: true,
  AnalyticsConfiguration: true,
  PreventUserExistenceErrors: true,
  EnableTokenRevocation: true,
  EnablePropagateAdditionalUserContextData: true,
  AuthSessionValidity: true,
  RefreshTokenRotation: true,
};

/** The update that sets `callbackUrls` and leaves everything else as the description has it. */
export function updateInput(client: UserPoolClientType, userPoolId: string, clientId: string, callbackUrls: string[]): UpdateUserPoolClientCommandInput {
  const present = (Object.keys(CARRIED_OVER) as CarriedOver[]).filter((key) => client[key] !== undefined);
  const carried = Object.fromEntries(present.map((key) => [key, client[key]])) as Pick<UpdateUserPoolClientCommandInput, CarriedOver>;
  return { UserPoolId: userPoolId, ClientId: clientId, ...carried, CallbackURLs: callbackUrls };
}

export interface CognitoCallbackUrlsOptions {
  client: CognitoIdentityProviderClient;
  userPoolId: string;
  /** The load balancer's app client. */
  clientId: string;
  /** Callback URLs the client may list; Cognito's default quota unless told. */
  quota?: number;
  /** Waits before merging again after a concurrent writer; a short random pause by default. */
  pause?: () => Promise<void>;
}

type Change = 'add' | 'remove';

function jitter(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
}

export class CognitoCallbackUrls {
  private readonly quota: number;
  private readonly pause: () => Promise<void>;

  constructor(private readonly options: CognitoCallbackUrlsOptions) {
    this.quota = options.quota ?? CALLBACK_URL_QUOTA;
    this.pause = options.pause ?? jitter;
  }

  /** Lists the URLs on the client; nothing is updated when it lists them all already. */
  async add(urls: string[]): Promise<void> {
    await this.change('add', urls);
  }

  /** Takes the URLs off the client; nothing is updated when it lists none of them. */
  async remove(urls: string[]): Promise<void> {
    await this.change('remove', urls);
  }

  private async change(change: Change, urls: string[]): Promise<void> {
    const wanted = [...new Set(urls)];
    if (wanted.length === 0) return;
    let current = await this.describe();
    for (let attempt = 1; ; attempt++) {
      if (done(change, current, wanted)) return;
      const listed = current.CallbackURLs ?? [];
      const next = change === 'add' ? [...listed, ...wanted.filter((u) => !listed.includes(u))] : listed.filter((u) => !wanted.includes(u));
      if (next.length > this.quota) throw new CallbackUrlLimitError(wanted.filter((u) => !listed.includes(u)), this.quota);
      const lost = await this.update(current, next, wanted);
      current = await this.describe();
      if (!lost && done(change, current, wanted)) return;
      if (attempt >= MERGE_ATTEMPTS) {
        throw new Error(`could not ${change} the Cognito callback URLs ${wanted.join(', ')}: other updates of app client ${this.options.clientId} replaced ours ${attempt} times`);
      }
      await this.pause();
    }
  }

  /** Sends the update; true when Cognito refused it for a concurrent change, to be merged again. */
  private async update(current: UserPoolClientType, callbackUrls: string[], wanted: string[]): Promise<boolean> {
    const { client, userPoolId, clientId } = this.options;
    try {
      await client.send(new UpdateUserPoolClientCommand(updateInput(current, userPoolId, clientId, callbackUrls)));
      return false;
    } catch (error) {
      if (isNamed(error, 'ConcurrentModificationException')) return true;
      // The service's own limit, should it be lower than the quota we count against.
      if (isNamed(error, 'InvalidParameterException') && /callback/i.test(errorMessage(error)) && /length|limit|exceed|maximum/i.test(errorMessage(error))) {
        throw new CallbackUrlLimitError(wanted, this.quota, error);
      }
      throw error;
    }
  }

  private async describe(): Promise<UserPoolClientType> {
    const { client, userPoolId, clientId } = this.options;
    const { UserPoolClient } = await client.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
    if (!UserPoolClient) throw new Error(`Cognito app client ${clientId} of user pool ${userPoolId} not found`);
    return UserPoolClient;
  }
}

function done(change: Change, client: UserPoolClientType, wanted: string[]): boolean {
  const listed = new Set(client.CallbackURLs ?? []);
  return change === 'add' ? wanted.every((u) => listed.has(u)) : wanted.every((u) => !listed.has(u));
}
