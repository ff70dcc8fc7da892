/**
 * The web console in the template: a private bucket CloudFront alone may read (origin access
 * control), security headers on every answer, a public Cognito client limited to the
 * authorization code grant (PKCE, since it holds no secret) with the distribution as its only
 * callback, the API accepting that client's tokens, and CORS on the API for that one origin.
 */
import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { DOMAIN_CONTEXT, logicalId, synthCassini, type Synthesized } from './support/synth.ts';

function consoleOf(s: Synthesized) {
  const web = s.stack.console;
  return { web, distributionId: logicalId(web.distribution), bucketId: logicalId(web.bucket), clientId: logicalId(web.client) };
}

const distributionDomain = (id: string) => ({ 'Fn::GetAtt': [id, 'DomainName'] });

describe('web console on AWS', () => {
  const s = synthCassini();
  const { distributionId, bucketId, clientId } = consoleOf(s);

  it('keeps the build in a bucket with every public access blocked, TLS enforced, and readable by this distribution only', () => {
    // "Restrict access to an Amazon S3 origin" (CloudFront Developer Guide): with origin access control the
    // bucket policy allows the cloudfront.amazonaws.com principal on the condition AWS:SourceArn = the distribution.
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    const policy = Object.values(s.json.Resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }));
    const statements = (policy!.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
    const reads = statements.filter((st) => st.Effect === 'Allow');
    expect(reads).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Condition: { StringEquals: { 'AWS:SourceArn': expect.objectContaining({ 'Fn::Join': expect.arrayContaining([expect.arrayContaining([{ Ref: distributionId }])]) }) } },
      }),
    ]);
    expect(statements.some((st) => st.Effect === 'Deny' && JSON.stringify(st.Condition).includes('aws:SecureTransport'))).toBe(true);
    s.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' }) });
  });

  it('serves over HTTPS only, with a policy that allows this origin, the API and Cognito sign-in, and no framing', () => {
    s.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ DefaultRootObject: 'index.html', DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }) }),
    });
    const policy = Object.values(s.json.Resources).find((r) => r.Type === 'AWS::CloudFront::ResponseHeadersPolicy')!;
    const headers = (policy.Properties!.ResponseHeadersPolicyConfig as { SecurityHeadersConfig: Record<string, Record<string, unknown>> }).SecurityHeadersConfig;
    const csp = JSON.stringify(headers.ContentSecurityPolicy!.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain('https://*.execute-api.');
    expect(headers.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(headers.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 730 * 24 * 3600 });
  });

  it('signs in through a public client with the authorization code grant only, called back at the distribution', () => {
    // "Using PKCE in authorization code grants" (Amazon Cognito Developer Guide): PKCE is the code grant's
    // extension for public clients; a browser app keeps no secret, and the implicit grant would put tokens in a URL.
    const client = s.json.Resources[clientId]!.Properties!;
    expect(client.GenerateSecret).toBe(false);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.AllowedOAuthScopes).toEqual(['openid', 'email', 'profile']);
    const callback = { 'Fn::Join': ['', ['https://', distributionDomain(distributionId), '/']] };
    expect(client.CallbackURLs).toEqual([callback]);
    expect(client.LogoutURLs).toEqual([callback]);
    expect(client.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    expect(client.SupportedIdentityProviders).toEqual(['COGNITO']);
  });

  it("has the API's authorizer accept the console client's tokens", () => {
    const authorizer = s.json.Resources[logicalId(s.stack.api.authorizer.fn)]!.Properties as { Environment: { Variables: Record<string, unknown> } };
    expect(JSON.stringify(authorizer.Environment.Variables.USER_POOL_CLIENT_IDS)).toContain(clientId);
  });

  it('opens the API to the console origin alone, with its methods and headers and no credentials', () => {
    // "Configure CORS for HTTP APIs in API Gateway": with a CORS configuration API Gateway answers
    // preflight OPTIONS requests itself, before any authorizer, and ignores CORS headers from the integration.
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [{ 'Fn::Join': ['', ['https://', distributionDomain(distributionId)]] }],
        AllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        AllowHeaders: ['authorization', 'content-type', 'accept', 'idempotency-key', 'if-match'],
        AllowCredentials: false,
        MaxAge: 600,
      },
    });
  });

  it('deploys the build and a config.json naming the API, the client and the sign-in address', () => {
    const deployment = Object.values(s.json.Resources).find((r) => r.Type === 'Custom::CDKBucketDeployment')!;
    const markers = JSON.stringify(deployment.Properties!.SourceMarkers);
    expect(markers).toContain(clientId);
    expect(JSON.stringify(deployment.Properties!.DestinationBucketName)).toContain(bucketId);
  });

  it("reuses the ingress's sign-in domain when there is one (a user pool has one prefix domain)", () => {
    const withDomain = synthCassini(DOMAIN_CONTEXT);
    withDomain.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    expect(withDomain.stack.console.signInDomain).toBe(withDomain.stack.ingress!.userPoolDomain);
    s.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  });
});
