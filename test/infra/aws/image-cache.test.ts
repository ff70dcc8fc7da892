/**
 * The ECR pull-through cache, read from the synthesized template: which upstreams get a rule,
 * the credentials secret the operator names, what the task execution role may do with the
 * cache, and that the launching functions learn where it is.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, platformConfig } from '../../../infra/aws/config.ts';
import { roleStatements } from './support/least-privilege.ts';
import { logicalId, synthCassini } from './support/synth.ts';

type Resources = ReturnType<typeof synthCassini>['json']['Resources'];

function rules(resources: Resources): Array<Record<string, unknown>> {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::ECR::PullThroughCacheRule')
    .map((r) => r.Properties!);
}

const DOCKER_HUB_SECRET = 'ecr-pullthroughcache/docker-hub';

describe('pull-through cache rules', () => {
  // "Sync an upstream registry with an Amazon ECR private registry" (Amazon ECR User Guide):
  // ECR Public, the Kubernetes registry and Quay are cached without credentials; Docker Hub and
  // the GitHub Container Registry need a Secrets Manager secret, and the upstream URL of Docker
  // Hub is registry-1.docker.io.
  it('caches ECR Public, Quay and the Kubernetes registry, and no credentialed upstream without its secret', () => {
    const { json } = synthCassini();
    expect(rules(json.Resources).map((r) => [r.UpstreamRegistryUrl, r.EcrRepositoryPrefix, r.CredentialArn]).sort()).toEqual([
      ['public.ecr.aws', 'cassini-ecr-public', undefined],
      ['quay.io', 'cassini-quay', undefined],
      ['registry.k8s.io', 'cassini-k8s', undefined],
    ]);
  });

  // "Creating a pull through cache rule in Amazon ECR": the credentials secret must be named
  // `ecr-pullthroughcache/…` and be in the rule's account and Region.
  it('caches Docker Hub and GitHub Container Registry with the secrets the operator names, in the stack’s account and Region', () => {
    const { json } = synthCassini({ dockerHubCredentialsSecret: DOCKER_HUB_SECRET, githubCredentialsSecret: 'ecr-pullthroughcache/ghcr' });
    const byUrl = Object.fromEntries(rules(json.Resources).map((r) => [r.UpstreamRegistryUrl, r]));
    expect(byUrl['registry-1.docker.io']).toEqual({
      UpstreamRegistryUrl: 'registry-1.docker.io',
      EcrRepositoryPrefix: 'cassini-docker-hub',
      CredentialArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:secret:${DOCKER_HUB_SECRET}`]] },
    });
    expect(byUrl['ghcr.io']).toMatchObject({ EcrRepositoryPrefix: 'cassini-ghcr' });
    expect(JSON.stringify(byUrl['ghcr.io']!.CredentialArn)).toContain(':secret:ecr-pullthroughcache/ghcr');
  });

  it('refuses a credentials secret ECR would not read, naming the parameter', () => {
    expect(() => platformConfig((key) => ({ dockerHubCredentialsSecret: 'cassini/docker-hub' })[key])).toThrow(ConfigError);
    expect(() => platformConfig((key) => ({ githubCredentialsSecret: 'ghcr' })[key])).toThrow(/context "githubCredentialsSecret" must name a Secrets Manager secret whose name starts with "ecr-pullthroughcache\/"/);
  });
});

describe('the task execution role and the cache', () => {
  const { json, stack } = synthCassini({ dockerHubCredentialsSecret: DOCKER_HUB_SECRET });
  const statements = roleStatements(json.Resources, logicalId(stack.compute.executionRole));

  // "IAM permissions required to sync an upstream registry with an Amazon ECR private registry"
  // (Amazon ECR User Guide): the principal whose pull fills the cache needs
  // ecr:BatchImportUpstreamImage, and ecr:CreateRepository when the cached repository does not
  // exist yet. Nothing else is needed to pull through, so nothing else is granted.
  it('may import upstream images and create their repositories, on the cache prefixes only', () => {
    const importing = statements.filter((s) => JSON.stringify(s.Action).match(/BatchImportUpstreamImage|CreateRepository/));
    expect(importing).toHaveLength(1);
    expect(importing[0]!.Action).toEqual(['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository']);
    const resources = (importing[0]!.Resource as unknown[]).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(4);
    for (const prefix of ['cassini-ecr-public', 'cassini-quay', 'cassini-k8s', 'cassini-docker-hub']) {
      expect(resources.filter((r) => r.includes(`:repository/${prefix}/*"`)), prefix).toHaveLength(1);
    }
  });

  it('is granted nothing on the credentials secret (ECR reads it with its own service-linked role)', () => {
    expect(JSON.stringify(statements)).not.toContain('ecr-pullthroughcache');
  });
});

describe('where the launching functions find the cache', () => {
  const { json, stack } = synthCassini({ dockerHubCredentialsSecret: DOCKER_HUB_SECRET });

  it('gives the reactor and the reconciler the private registry and each upstream’s prefix', () => {
    for (const fn of [stack.reactor, stack.reconciler]) {
      const env = (json.Resources[logicalId(fn.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.IMAGE_CACHE_REGISTRY).toEqual({ 'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] });
      expect(env.IMAGE_CACHE_PREFIXES).toBe('public.ecr.aws=cassini-ecr-public,quay.io=cassini-quay,registry.k8s.io=cassini-k8s,docker.io=cassini-docker-hub');
    }
  });
});
