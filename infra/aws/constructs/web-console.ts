/**
 * The web console on AWS: its static build in a private S3 bucket behind CloudFront with
 * origin access control (the bucket answers CloudFront's signed requests for this one
 * distribution and nobody else), signing in through Cognito's hosted sign-in with a public app
 * client of its own (authorization code grant with PKCE, its only callback the distribution),
 * and calling API Gateway directly with the access token, which the API's authorizer accepts
 * and whose CORS admits this one origin.
 *
 * Why S3 + CloudFront rather than the load balancer: the console is static files, the load
 * balancer exists only with a domain (the ingress), and CloudFront serves them over HTTPS at a
 * `*.cloudfront.net` address with no domain or certificate to provide.
 *
 * The build (Vite) runs at synth on this machine (asset bundling, no Docker), and the
 * deployment writes `config.json` beside it with the values only a deployment knows (API URL,
 * client id, sign-in address), which the page reads at start (console/src/console-config.ts).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Aws, Duration, Stack, Validations, type IResolvable } from 'aws-cdk-lib';
import { wildcardResourceFinding } from '../nag.ts';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { DockerImage } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { REPO_ROOT } from '../function-bundle.ts';
import type { Api } from './api.ts';
import type { Identity } from './identity.ts';

export const CONSOLE_SOURCE_DIR = join(REPO_ROOT, 'console');

/** The request headers the console sends the API (api-client.ts): nothing else is allowed cross-origin. */
export const CONSOLE_API_HEADERS = ['authorization', 'content-type', 'accept', 'idempotency-key', 'if-match'];
export const CONSOLE_API_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface WebConsoleProps {
  identity: Identity;
  api: Api;
  /** The user pool's hosted sign-in domain when the ingress already made one (a pool has one prefix domain). */
  signInDomain?: cognito.UserPoolDomain;
  /**
   * More files the distribution serves beside the console (the SSH agent's bundle,
   * ssh-agent-delivery.ts): part of the same deployment, so its pruning keeps them.
   */
  publishedFiles?: s3deploy.ISource[];
}

/** Builds the console into `outputDir` with the locally installed Vite. */
function buildConsole(outputDir: string): boolean {
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', CONSOLE_SOURCE_DIR, '--outDir', outputDir, '--emptyOutDir', '--logLevel', 'warn'], { stdio: 'inherit' });
  return true;
}

export class WebConsole extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly client: cognito.UserPoolClient;
  readonly signInDomain: cognito.UserPoolDomain;
  /** `https://<distribution>/`: the console's address and its sign-in callback. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebConsoleProps) {
    super(scope, id);
    const { userPool } = props.identity;
    const region = Stack.of(this).region;

    this.bucket = new s3.Bucket(this, 'Assets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The bucket holds only the console build, written by the deployment and read by CloudFront (origin access control); there is no user data whose access would need a log.',
    });

    this.signInDomain = props.signInDomain ?? userPool.addDomain('ConsoleSignIn', { cognitoDomain: { domainPrefix: `cassini-console-${Stack.of(this).account}` } });
    const signInUrl = this.signInDomain.baseUrl();

    const securityHeaders = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Cassini console: this origin, the API and Cognito sign-in only; no framing',
      securityHeadersBehavior: {
        // connect-src names API Gateway by its regional wildcard: the API's own URL would make
        // the distribution depend on the API, whose CORS depends on the distribution.
        contentSecurityPolicy: {
          contentSecurityPolicy: `default-src 'self'; connect-src 'self' https://*.execute-api.${region}.amazonaws.com ${signInUrl}; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Cassini web console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    Validations.of(this.distribution).acknowledge(
      { id: 'AwsSolutions-CFR1', reason: 'The console is for the organisation wherever its people are; sign-in (Cognito, MFA) is the gate, not geography.' },
      { id: 'AwsSolutions-CFR2', reason: 'Static files only: every call that matters goes to the API, which has its own throttles and authorizer. A WAF web ACL is the operator\'s opt-in (billed per rule and request).' },
      { id: 'AwsSolutions-CFR3', reason: 'Static files of a public build; requests that matter are logged by the API (access logs) and Cognito.' },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'The distribution uses the default *.cloudfront.net certificate (no domain is required to deploy the console), for which CloudFront does not allow choosing the minimum TLS version.',
      },
    );
    this.url = `https://${this.distribution.distributionDomainName}/`;

    // A public client (it runs in a browser, so it can keep no secret): code grant only, the
    // implicit grant off, the distribution its only callback and sign-out address.
    this.client = userPool.addClient('ConsoleClient', {
      generateSecret: false,
      authFlows: { userSrp: false, userPassword: false, adminUserPassword: false, custom: false },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [this.url],
        logoutUrls: [this.url],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
    });
    props.api.acceptTokensOf(this.client);

    // CORS on the API for this one origin, the console's methods and headers, no credentials
    // (the token travels in the Authorization header, never in a cookie).
    const cfnApi = props.api.httpApi.node.defaultChild as apigw.CfnApi;
    cfnApi.corsConfiguration = {
      allowOrigins: [`https://${this.distribution.distributionDomainName}`],
      allowMethods: CONSOLE_API_METHODS,
      allowHeaders: CONSOLE_API_HEADERS,
      allowCredentials: false,
      maxAge: 600,
    } satisfies apigw.CfnApi.CorsProperty | IResolvable;

    const build = s3deploy.Source.asset(CONSOLE_SOURCE_DIR, {
      // The sources alone decide the asset: a local build (npm start's) beside them is not one.
      exclude: ['dist', 'dist.*', '.build-lock'],
      bundling: {
        // Local only: Docker is never needed. The image is what CDK would fall back to.
        image: DockerImage.fromRegistry('node:22-alpine'),
        local: { tryBundle: (outputDir) => buildConsole(outputDir) },
      },
    });
    const config = s3deploy.Source.jsonData('config.json', {
      signIn: 'cognito',
      apiUrl: props.api.url,
      clientId: this.client.userPoolClientId,
      signInUrl,
      redirectUri: this.url,
    });
    const deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      sources: [build, config, ...(props.publishedFiles ?? [])],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      memoryLimit: 256,
    });
    acknowledgeDeploymentHandler(deployment, this.bucket);
  }
}

/**
 * CDK's deployment handler (one per stack, shared by every BucketDeployment) runs only while
 * CloudFormation deploys: it copies the build from CDK's asset bucket into the console bucket
 * and invalidates the distribution. Its grants are CDK's, scoped to those two buckets; the
 * CloudFront invalidation actions are granted on `*` by CDK.
 */
function acknowledgeDeploymentHandler(deployment: s3deploy.BucketDeployment, bucket: s3.IBucket): void {
  const handler = deployment.handlerRole.node.scope as Construct;
  const copy = 'The deployment handler copies the console build from the CDK asset bucket into the console bucket (read there, write and delete here) while CloudFormation deploys; CDK writes these grants.';
  Validations.of(handler).acknowledge(
    { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: "CDK's deployment handler logs through the basic execution policy; it runs only during a deploy." },
    { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: copy },
    { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: copy },
    { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: copy },
    { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: copy },
    { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: copy },
    { id: wildcardResourceFinding(handler, `arn:${Stack.of(handler).partition}:s3:::cdk-hnb659fds-assets-${Aws.ACCOUNT_ID}-${Stack.of(handler).region}/*`), reason: copy },
    { id: wildcardResourceFinding(handler, `${bucket.bucketArn}/*`), reason: copy },
    { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'cloudfront:CreateInvalidation and GetInvalidation, which CDK grants on every distribution, to refresh index.html and config.json after a deploy.' },
    { id: 'AwsSolutions-L1', reason: "CDK's deployment handler runs on the Python runtime CDK pins for its bundled AWS CLI layer." },
  );
}
