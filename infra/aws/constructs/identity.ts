/**
 * Who may sign in: a Cognito user pool with an app client for the API, the `admins` group (its
 * members are platform admins: see functions/api/middlewares/authentication.ts) and, when an
 * e-mail is given, the first admin, who receives a temporary password by e-mail.
 *
 * Sign-up is closed: admins invite users. MFA (one-time passwords from an authenticator app)
 * is required, since a Cognito login opens workspaces that hold code, data and secrets.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

export const ADMINS_GROUP = 'admins';
export const FIRST_ADMIN_USERNAME = 'admin';

export interface IdentityProps {
  adminEmail?: string;
}

export class Identity extends Construct {
  readonly userPool: cognito.UserPool;
  /** The client API callers (the web UI, the CLI) sign in with to get JWTs for the HTTP API. */
  readonly apiClient: cognito.UserPoolClient;
  readonly adminsGroup: cognito.CfnUserPoolGroup;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'The PLUS feature plan (threat protection) is billed per active user; sign-up is closed, MFA is required and ' +
        'passwords are strong, so it stays an opt-in for the operator (featurePlan in identity.ts).',
    });

    this.apiClient = this.userPool.addClient('ApiClient', {
      generateSecret: false,
      // SRP for applications; ADMIN_USER_PASSWORD_AUTH for an operator's first sign-in from the AWS
      // CLI (README: first deployment), which needs IAM credentials allowed cognito-idp:AdminInitiateAuth.
      authFlows: { userSrp: true, adminUserPassword: true },
      // No hosted-UI (OAuth) flows at all: API callers sign in with SRP and send the JWT. Left
      // unset, the CDK would enable the implicit grant (tokens in a redirect URL) with the
      // placeholder callback https://example.com, a sign-in nobody means to offer.
      disableOAuth: true,
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      enableTokenRevocation: true,
    });

    this.adminsGroup = new cognito.CfnUserPoolGroup(this, 'AdminsGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: ADMINS_GROUP,
      description: 'Platform administrators: see and change every resource, register IAM roles, manage users.',
    });

    if (props.adminEmail) {
      const admin = new cognito.CfnUserPoolUser(this, 'FirstAdmin', {
        userPoolId: this.userPool.userPoolId,
        username: FIRST_ADMIN_USERNAME,
        desiredDeliveryMediums: ['EMAIL'],
        userAttributes: [
          { name: 'email', value: props.adminEmail },
          { name: 'email_verified', value: 'true' },
        ],
      });
      const membership = new cognito.CfnUserPoolUserToGroupAttachment(this, 'FirstAdminIsAdmin', {
        userPoolId: this.userPool.userPoolId,
        groupName: ADMINS_GROUP,
        username: FIRST_ADMIN_USERNAME,
      });
      membership.addResourceDependency(admin);
      membership.addResourceDependency(this.adminsGroup);
    }
  }
}
