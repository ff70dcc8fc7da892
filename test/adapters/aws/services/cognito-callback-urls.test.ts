import {
  CognitoIdentityProviderClient,
  ConcurrentModificationException,
  DescribeUserPoolClientCommand,
  InvalidParameterException,
  UpdateUserPoolClientCommand,
  type UserPoolClientType,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CallbackUrlLimitError, CognitoCallbackUrls, signInCallbackUrl, userPoolIdOf } from '../../../../shared/adapters/aws/services/cognito-callback-urls.ts';

const client = new CognitoIdentityProviderClient({ region: 'eu-west-1' });
const cognito = mockClient(client);

const POOL = 'eu-west-1_AbCdEf';
const CLIENT = 'lbclient123';
const APEX = 'https://apps.example.com/oauth2/idpresponse';
const API = 'https://api-ada.apps.example.com/oauth2/idpresponse';
const LAB = 'https://lab-ada.apps.example.com/oauth2/idpresponse';
const OTHER = 'https://other.apps.example.com/oauth2/idpresponse';

/** The load balancer's client as DescribeUserPoolClient returns it, every updatable field set. */
const described: UserPoolClientType = {
  UserPoolId: POOL,
  ClientId: CLIENT,
  ClientName: 'LoadBalancerClient',
  ClientSecret: 'not-to-be-sent',
  CreationDate: new Date('2025-01-01T00:00:00Z'),
  LastModifiedDate: new Date('2025-02-01T00:00:00Z'),
  RefreshTokenValidity: 30,
  AccessTokenValidity: 60,
  IdTokenValidity: 60,
  TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
  ReadAttributes: ['email', 'name'],
  WriteAttributes: ['name'],
  ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
  SupportedIdentityProviders: ['COGNITO'],
  CallbackURLs: [APEX, OTHER],
  LogoutURLs: ['https://apps.example.com/signed-out'],
  DefaultRedirectURI: APEX,
  AllowedOAuthFlows: ['code'],
  AllowedOAuthScopes: ['openid', 'email', 'profile'],
  AllowedOAuthFlowsUserPoolClient: true,
  AnalyticsConfiguration: { ApplicationArn: 'arn:aws:mobiletargeting:eu-west-1:123456789012:apps/abc', RoleArn: 'arn:aws:iam::123456789012:role/pinpoint', UserDataShared: false },
  PreventUserExistenceErrors: 'ENABLED',
  EnableTokenRevocation: true,
  EnablePropagateAdditionalUserContextData: false,
  AuthSessionValidity: 3,
  RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 10 },
};

/** The update of `described` with other callback URLs: everything else as it was. */
function expectedUpdate(callbackUrls: string[]) {
  return {
    UserPoolId: POOL,
    ClientId: CLIENT,
    ClientName: 'LoadBalancerClient',
    RefreshTokenValidity: 30,
    AccessTokenValidity: 60,
    IdTokenValidity: 60,
    TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    ReadAttributes: ['email', 'name'],
    WriteAttributes: ['name'],
    ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
    SupportedIdentityProviders: ['COGNITO'],
    CallbackURLs: callbackUrls,
    LogoutURLs: ['https://apps.example.com/signed-out'],
    DefaultRedirectURI: APEX,
    AllowedOAuthFlows: ['code'],
    AllowedOAuthScopes: ['openid', 'email', 'profile'],
    AllowedOAuthFlowsUserPoolClient: true,
    AnalyticsConfiguration: { ApplicationArn: 'arn:aws:mobiletargeting:eu-west-1:123456789012:apps/abc', RoleArn: 'arn:aws:iam::123456789012:role/pinpoint', UserDataShared: false },
    PreventUserExistenceErrors: 'ENABLED',
    EnableTokenRevocation: true,
    EnablePropagateAdditionalUserContextData: false,
    AuthSessionValidity: 3,
    RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 10 },
  };
}

function describes(...callbackLists: string[][]) {
  const mock = cognito.on(DescribeUserPoolClientCommand, { UserPoolId: POOL, ClientId: CLIENT });
  for (const CallbackURLs of callbackLists) mock.resolvesOnce({ UserPoolClient: { ...described, CallbackURLs } });
}

const pauses: string[] = [];
const callbacks = new CognitoCallbackUrls({ client, userPoolId: POOL, clientId: CLIENT, pause: async () => void pauses.push('pause') });

beforeEach(() => {
  cognito.reset();
  pauses.length = 0;
});

describe('signInCallbackUrl and userPoolIdOf', () => {
  it('spells the URL the load balancer returns to, and reads the pool id from its ARN', () => {
    expect(signInCallbackUrl('lab-ada.apps.example.com')).toBe(LAB);
    expect(userPoolIdOf(`arn:aws:cognito-idp:eu-west-1:123456789012:userpool/${POOL}`)).toBe(POOL);
    expect(() => userPoolIdOf('arn:aws:iam::123456789012:role/x')).toThrow(/not a Cognito user pool ARN/);
  });
});

describe('CognitoCallbackUrls.add', () => {
  it('lists the URLs after those already there, carrying every other setting of the client over', async () => {
    // Prepare
    describes([APEX, OTHER], [APEX, OTHER, API, LAB]);
    cognito.on(UpdateUserPoolClientCommand).resolves({});

    // Act
    await callbacks.add([API, LAB, API]);

    // Assess
    expect(cognito.commandCalls(UpdateUserPoolClientCommand).map((c) => c.args[0].input)).toEqual([expectedUpdate([APEX, OTHER, API, LAB])]);
    expect(cognito.commandCalls(DescribeUserPoolClientCommand)).toHaveLength(2);
  });

  it('sends only the fields the description has', async () => {
    // Prepare
    cognito.on(DescribeUserPoolClientCommand).resolvesOnce({ UserPoolClient: { UserPoolId: POOL, ClientId: CLIENT, ClientName: 'lb' } }).resolves({ UserPoolClient: { CallbackURLs: [API] } });
    cognito.on(UpdateUserPoolClientCommand).resolves({});

    // Act
    await callbacks.add([API]);

    // Assess
    expect(cognito.commandCalls(UpdateUserPoolClientCommand)[0]!.args[0].input).toEqual({ UserPoolId: POOL, ClientId: CLIENT, ClientName: 'lb', CallbackURLs: [API] });
  });

  it('updates nothing when every URL is listed already, or when there is none to add', async () => {
    describes([APEX, API, LAB]);

    await callbacks.add([LAB, API]);
    await callbacks.add([]);

    expect(cognito.commandCalls(UpdateUserPoolClientCommand)).toHaveLength(0);
    expect(cognito.commandCalls(DescribeUserPoolClientCommand)).toHaveLength(1);
  });

  it('merges again on what a concurrent writer wrote when its update replaced ours', async () => {
    // Prepare: between our update and our check, another writer's update (made from the list
    // before ours) added LAB and dropped API.
    describes([APEX], [APEX, LAB], [APEX, LAB, API]);
    cognito.on(UpdateUserPoolClientCommand).resolves({});

    // Act
    await callbacks.add([API]);

    // Assess
    expect(cognito.commandCalls(UpdateUserPoolClientCommand).map((c) => c.args[0].input.CallbackURLs)).toEqual([
      [APEX, API],
      [APEX, LAB, API],
    ]);
    expect(cognito.commandCalls(UpdateUserPoolClientCommand)[1]!.args[0].input).toEqual(expectedUpdate([APEX, LAB, API]));
    expect(pauses).toEqual(['pause']);
  });

  it('merges again when Cognito refuses the update for a concurrent modification', async () => {
    describes([APEX], [APEX, LAB], [APEX, LAB, API]);
    cognito
      .on(UpdateUserPoolClientCommand)
      .rejectsOnce(new ConcurrentModificationException({ message: 'concurrent', $metadata: {} }))
      .resolves({});

    await callbacks.add([API]);

    expect(cognito.commandCalls(UpdateUserPoolClientCommand).map((c) => c.args[0].input.CallbackURLs)).toEqual([
      [APEX, API],
      [APEX, LAB, API],
    ]);
  });

  it('gives up after a bounded number of lost updates, saying so', async () => {
    cognito.on(DescribeUserPoolClientCommand).resolves({ UserPoolClient: { ...described, CallbackURLs: [APEX] } });
    cognito.on(UpdateUserPoolClientCommand).resolves({});

    await expect(callbacks.add([API])).rejects.toThrow(/other updates of app client lbclient123 replaced ours 4 times/);

    expect(cognito.commandCalls(UpdateUserPoolClientCommand)).toHaveLength(4);
    expect(pauses).toHaveLength(3);
  });

  it('fails naming the quota, without updating, when the client would list more callback URLs than it may', async () => {
    // Prepare: the apex and 99 subdomains already.
    const full = [APEX, ...Array.from({ length: 99 }, (_, i) => `https://s${i}.apps.example.com/oauth2/idpresponse`)];
    describes(full);

    // Act
    const failure = callbacks.add([LAB]);

    // Assess
    await expect(failure).rejects.toBeInstanceOf(CallbackUrlLimitError);
    await expect(failure).rejects.toThrow(/lab-ada\.apps\.example\.com: .*quota of "Callback URLs per app client" \(100 by default\)/);
    expect(cognito.commandCalls(UpdateUserPoolClientCommand)).toHaveLength(0);
  });

  it('reads a refusal of the list length by Cognito as the same quota', async () => {
    describes([APEX]);
    cognito.on(UpdateUserPoolClientCommand).rejects(
      new InvalidParameterException({ message: "1 validation error detected: Value at 'callbackURLs' failed to satisfy constraint: Member must have length less than or equal to 100", $metadata: {} }),
    );

    await expect(callbacks.add([LAB])).rejects.toBeInstanceOf(CallbackUrlLimitError);
  });
});

describe('CognitoCallbackUrls.remove', () => {
  it('takes only the given URLs off, carrying every other setting of the client over', async () => {
    // Prepare
    describes([APEX, API, OTHER, LAB], [APEX, OTHER]);
    cognito.on(UpdateUserPoolClientCommand).resolves({});

    // Act
    await callbacks.remove([API, LAB]);

    // Assess
    expect(cognito.commandCalls(UpdateUserPoolClientCommand).map((c) => c.args[0].input)).toEqual([expectedUpdate([APEX, OTHER])]);
  });

  it('updates nothing when none of the URLs is listed', async () => {
    describes([APEX, OTHER]);

    await callbacks.remove([API, LAB]);

    expect(cognito.commandCalls(UpdateUserPoolClientCommand)).toHaveLength(0);
  });

  it('removes again when a concurrent writer put a URL back', async () => {
    describes([APEX, API], [APEX, API, OTHER], [APEX, OTHER]);
    cognito.on(UpdateUserPoolClientCommand).resolves({});

    await callbacks.remove([API]);

    expect(cognito.commandCalls(UpdateUserPoolClientCommand).map((c) => c.args[0].input.CallbackURLs)).toEqual([[APEX], [APEX, OTHER]]);
  });
});
