/**
 * ECR pull-through cache rules: tasks pull public images through the account's private
 * registry (shared/adapters/aws/tasks/image-cache.ts rewrites their references), so pulls stay in
 * the region and Docker Hub's anonymous rate limit on the NAT address no longer applies.
 *
 * Upstreams ("Sync an upstream registry with an Amazon ECR private registry", Amazon ECR User
 * Guide): ECR Public, Quay and the Kubernetes registry need no credentials and always get a
 * rule; Docker Hub and the GitHub Container Registry require credentials, so they get a rule
 * only when the operator names a Secrets Manager secret holding them (context
 * `dockerHubCredentialsSecret`, `githubCredentialsSecret`), whose name must start with
 * `ecr-pullthroughcache/` ("Creating a pull through cache rule in Amazon ECR"). ECR reads the
 * secret with its own service-linked role, so nothing here is granted on it.
 *
 * Prefixes start with `cassini-` so the stack's rules do not collide with rules the account
 * already has (a prefix is unique per registry). The first pull of an image creates its
 * repository and imports it: `grantPullThrough` allows exactly that, on these prefixes.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DOCKER_HUB, imageCachePrefixesEnv } from '../../../shared/adapters/aws/tasks/image-cache.ts';
import type { ImageCacheConfig } from '../config.ts';
import { acknowledgeWildcardResource } from '../nag.ts';

interface Upstream {
  /** The host image references name (what the adapter matches). */
  host: string;
  /** The rule's `upstreamRegistryUrl`. */
  url: string;
  prefix: string;
  /** The secret holding credentials, for upstreams that require them. */
  credentialsSecret?: string;
}

/** The upstreams with a rule for this configuration. */
export function cacheUpstreams(config: ImageCacheConfig): Upstream[] {
  return [
    { host: 'public.ecr.aws', url: 'public.ecr.aws', prefix: 'cassini-ecr-public' },
    { host: 'quay.io', url: 'quay.io', prefix: 'cassini-quay' },
    { host: 'registry.k8s.io', url: 'registry.k8s.io', prefix: 'cassini-k8s' },
    ...(config.dockerHubCredentialsSecret ? [{ host: DOCKER_HUB, url: 'registry-1.docker.io', prefix: 'cassini-docker-hub', credentialsSecret: config.dockerHubCredentialsSecret }] : []),
    ...(config.githubCredentialsSecret ? [{ host: 'ghcr.io', url: 'ghcr.io', prefix: 'cassini-ghcr', credentialsSecret: config.githubCredentialsSecret }] : []),
  ];
}

export class ImageCache extends Construct {
  readonly upstreams: Upstream[];

  constructor(scope: Construct, id: string, config: ImageCacheConfig) {
    super(scope, id);
    const stack = Stack.of(this);
    this.upstreams = cacheUpstreams(config);
    for (const upstream of this.upstreams) {
      new ecr.CfnPullThroughCacheRule(this, `Rule-${upstream.prefix}`, {
        ecrRepositoryPrefix: upstream.prefix,
        upstreamRegistryUrl: upstream.url,
        ...(upstream.credentialsSecret ? { credentialArn: stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: upstream.credentialsSecret, arnFormat: ArnFormat.COLON_RESOURCE_NAME }) } : {}),
      });
    }
  }

  /** The repositories the rules create, `<prefix>/*`. */
  private cachedRepositories(): string[] {
    const stack = Stack.of(this);
    return this.upstreams.map((u) => stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${u.prefix}/*` }));
  }

  /**
   * Lets `role` (the task execution role) pull an image through the cache the first time:
   * ecr:CreateRepository and ecr:BatchImportUpstreamImage, on the cache prefixes only ("IAM
   * permissions required to sync an upstream registry with an Amazon ECR private registry").
   */
  grantPullThrough(role: iam.Role): void {
    const repositories = this.cachedRepositories();
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'], resources: repositories }));
    for (const repository of repositories) acknowledgeWildcardResource(role, repository, 'Pull-through cache repositories are created on first pull, one per upstream image, under the rule prefix.');
  }

  /** Where the launching functions find the cache (shared/adapters/aws/tasks/image-cache.ts reads these). */
  environment(): Record<string, string> {
    const stack = Stack.of(this);
    return {
      IMAGE_CACHE_REGISTRY: `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}`,
      IMAGE_CACHE_PREFIXES: imageCachePrefixesEnv(Object.fromEntries(this.upstreams.map((u) => [u.host, u.prefix]))),
    };
  }
}
