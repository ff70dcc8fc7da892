/**
 * The way in to deployments and workspaces: an internet-facing Application Load Balancer with
 * HTTPS only (HTTP redirects), serving `*.<domain>` with Cognito sign-in. Created only when a
 * domain and a certificate are given.
 *
 * Routes are host-based rules per subdomain, added at run time by the reactor
 * (shared/adapters/aws/services/alb-routes.ts, `grantManageRoutes`) when a deployment or workspace starts: `authenticate-cognito` then forward for `owner`/`org`
 * visibility, forward alone for `unauthenticated`. Until a rule matches, the listener's default
 * action signs the visitor in and answers 404, so nobody learns which names exist without
 * signing in. What the reactor needs is in `environment()`.
 *
 * Cognito accepts no wildcard callback URL: the reactor adds each signed-in subdomain to the
 * load balancer client's callback URLs (`https://<sub>.<domain>/oauth2/idpresponse`) when its
 * rule is added and removes it with the rule (shared/adapters/aws/services/cognito-callback-urls.ts,
 * `grantManageSignInCallbacks`); 100 per client, like the 100 rules of an ALB.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AuthenticateCognitoAction } from 'aws-cdk-lib/aws-elasticloadbalancingv2-actions';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { IngressConfig } from '../config.ts';
import type { Identity } from './identity.ts';
import { acknowledgeGrantedWildcard } from '../nag.ts';
import { EDGE_HEALTH_PORT } from '../../../shared/adapters/aws/services/edge-sidecar.ts';

const HIGHEST_PORT = 65535;
import { cognitoDomainPrefix } from '../cognito-domain-prefix.ts';

/** Target groups of deployments and workspaces are named `cassini-<hash>-<port>` (shared/adapters/aws/services/service-names.ts). */
export const TARGET_GROUP_PREFIX = 'cassini-';
/** Every rule and target group the platform creates carries this tag. */
export const ROUTE_TAG = 'cassini:resource';

/** How long the load balancer keeps a quiet connection (an IDE's WebSocket) open. */
export const LOAD_BALANCER_IDLE_TIMEOUT = Duration.hours(1);

/** Body of the answer for a host no deployment or workspace serves, in the API's error shape. */
export const NO_ROUTE_BODY = JSON.stringify({ code: 'not_found', message: 'Nothing is served at this address: check the deployment or workspace name and that it is running.' });

export interface IngressProps {
  config: IngressConfig;
  vpc: ec2.IVpc;
  identity: Identity;
  /** Tasks behind the load balancer; it is allowed to reach them. */
  tasksSecurityGroup: ec2.ISecurityGroup;
}

export class Ingress extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly httpsListener: elbv2.ApplicationListener;
  /** The app client the load balancer signs users in with (it has a secret, unlike the API's). */
  readonly client: cognito.UserPoolClient;
  readonly userPoolDomain: cognito.UserPoolDomain;
  readonly accessLogs: s3.Bucket;
  private readonly vpcId: string;
  private readonly domainName: string;
  private readonly userPoolArn: string;

  constructor(scope: Construct, id: string, props: IngressProps) {
    super(scope, id);
    const { domainName, certificateArn, hostedZone } = props.config;
    const { userPool } = props.identity;
    this.vpcId = props.vpc.vpcId;
    this.domainName = domainName;
    this.userPoolArn = userPool.userPoolArn;

    this.userPoolDomain = userPool.addDomain('SignIn', {
      cognitoDomain: { domainPrefix: cognitoDomainPrefix(domainName) },
    });
    this.client = userPool.addClient('LoadBalancerClient', {
      generateSecret: true,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [`https://${domainName}/oauth2/idpresponse`],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
    });

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // ALB access logs support SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the load balancer access logs; logging access to the log bucket itself would log the logging.',
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Cassini load balancer: HTTPS (and HTTP to redirect) from anywhere',
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS');
    securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP, redirected to HTTPS');
    // Target groups send only to the edge sidecars' ports (shared/adapters/aws/services/edge-sidecar.ts:
    // EDGE_HEALTH_PORT and up), never to an app's own port, which only its sidecar reaches.
    const edgePorts = ec2.Port.tcpRange(EDGE_HEALTH_PORT, HIGHEST_PORT);
    securityGroup.addEgressRule(props.tasksSecurityGroup, edgePorts, 'To the edge sidecars of platform tasks');
    // Cognito sign-in: the load balancer calls the user pool's token endpoint over HTTPS.
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Cognito token endpoint');
    props.tasksSecurityGroup.addIngressRule(securityGroup, edgePorts, 'From the load balancer, to the edge sidecars');
    Validations.of(securityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'A public entry point: deployments and workspaces are served to browsers anywhere, and every request signs in through Cognito unless its route is explicitly unauthenticated.',
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup,
      dropInvalidHeaderFields: true,
      // An idle connection is closed after this long ("Connection idle timeout", Application
      // Load Balancers guide; default 60 s, at most 4000 s): a Jupyter or RStudio WebSocket
      // is often quiet for minutes, and a dropped one loses the kernel's output.
      idleTimeout: LOAD_BALANCER_IDLE_TIMEOUT,
    });
    this.loadBalancer.logAccessLogs(this.accessLogs, 'alb');

    this.httpsListener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(certificateArn)],
      open: false,
      defaultAction: new AuthenticateCognitoAction({
        userPool,
        userPoolClient: this.client,
        userPoolDomain: this.userPoolDomain,
        sessionTimeout: Duration.hours(12),
        allowHttpsOutbound: false,
        next: elbv2.ListenerAction.fixedResponse(404, { contentType: 'application/json', messageBody: NO_ROUTE_BODY }),
      }),
    });
    this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });

    if (hostedZone) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: hostedZone.id, zoneName: hostedZone.name });
      new route53.ARecord(this, 'Wildcard', {
        zone,
        recordName: `*.${domainName}`,
        target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer)),
      });
    }
  }

  /** What the code that adds routes needs: where to add rules, and the sign-in to put in front of them. */
  environment(): Record<string, string> {
    return {
      LISTENER_ARN: this.httpsListener.listenerArn,
      // The only signer of sign-ins the tasks' edge sidecars accept.
      LOAD_BALANCER_ARN: this.loadBalancer.loadBalancerArn,
      VPC_ID: this.vpcId,
      ROUTE_DOMAIN: this.domainName,
      ALB_USER_POOL_ARN: this.userPoolArn,
      ALB_USER_POOL_CLIENT_ID: this.client.userPoolClientId,
      ALB_USER_POOL_DOMAIN: this.userPoolDomain.domainName,
    };
  }
}

/**
 * Lets `grantee` manage the routes of deployments and workspaces (shared/adapters/aws/services/alb-routes.ts):
 * create, change and delete target groups named `cassini-*` and listener rules on the HTTPS
 * listener, each only when it carries (or is created with) the platform's tag, and read the
 * listener's rules and the target groups. Without ingress the code is bundled all the same (it
 * reports such starts failed), so the same grants are made on the ARNs a load balancer would have.
 */
export function grantManageRoutes(scope: Construct, grantee: iam.IGrantable, ingress?: Ingress): void {
  const stack = Stack.of(scope);
  const principal = grantee.grantPrincipal;
  const elb = (resource: string, resourceName: string) => stack.formatArn({ service: 'elasticloadbalancing', resource, resourceName });
  const targetGroups = elb('targetgroup', `${TARGET_GROUP_PREFIX}*/*`);
  const listener = ingress ? ingress.httpsListener.listenerArn : elb('listener', 'app/*');
  const rules = elb('listener-rule', ingress ? `${ingress.loadBalancer.loadBalancerFullName}/*` : 'app/*');
  const tagged = { Null: { [`aws:ResourceTag/${ROUTE_TAG}`]: 'false' } };
  const taggedAtCreation = { Null: { [`aws:RequestTag/${ROUTE_TAG}`]: 'false' } };
  principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticloadbalancing:CreateTargetGroup'], resources: [targetGroups], conditions: taggedAtCreation }));
  principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticloadbalancing:CreateRule'], resources: [listener, rules], conditions: taggedAtCreation }));
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyTargetGroup', 'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:DeleteTargetGroup'], resources: [targetGroups], conditions: tagged }),
  );
  principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule'], resources: [rules], conditions: tagged }));
  // Creating with tags is also authorized as AddTags on the new resource.
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['elasticloadbalancing:AddTags'],
      resources: [targetGroups, rules],
      conditions: { StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateRule'] } },
    }),
  );
  // Neither has resource-level permissions.
  principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetGroups'], resources: ['*'] }));
  acknowledgeGrantedWildcard(grantee, targetGroups, `Target groups are created at run time, one per routed port of a deployment or workspace (${TARGET_GROUP_PREFIX}<hash>-<port>), and changed or deleted only when tagged ${ROUTE_TAG}.`);
  acknowledgeGrantedWildcard(grantee, rules, `Listener rules are created at run time, one per subdomain, on this load balancer only, and changed or deleted only when tagged ${ROUTE_TAG}.`);
  if (!ingress) acknowledgeGrantedWildcard(grantee, listener, 'This stack has no load balancer (no domain): the route code is bundled but never adds a rule; the grant needs the platform tag on anything it would create.');
}

/**
 * Lets `grantee` list and unlist the routes' sign-in callback URLs on the load balancer's app
 * client (shared/adapters/aws/services/cognito-callback-urls.ts). App clients have no ARN of their own: the
 * grant is on the user pool. Made without ingress too, where the code is bundled but never called.
 */
export function grantManageSignInCallbacks(grantee: iam.IGrantable, userPool: cognito.IUserPool): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['cognito-idp:DescribeUserPoolClient', 'cognito-idp:UpdateUserPoolClient'], resources: [userPool.userPoolArn] }),
  );
}

/**
 * Lets `grantee` tell idle workspaces from the load balancer's request counts
 * (shared/adapters/aws/services/alb-idle-workspaces.ts): list the target groups and read CloudWatch
 * metrics, neither of which has resource-level permissions.
 */
export function grantReadRouteTraffic(grantee: iam.IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeTargetGroups', 'cloudwatch:GetMetricData'], resources: ['*'] }));
}
