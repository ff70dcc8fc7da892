import { DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, ClientException } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsTaskDefinitions } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { cachedImage, imageCacheFromEnv, imageCachePrefixesEnv, type ImageCache } from '../../../../shared/adapters/aws/tasks/image-cache.ts';
import { sizeNamed, type Size } from '../../../../shared/domain/sizes.ts';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const cache: ImageCache = {
  registry: REGISTRY,
  prefixes: { 'docker.io': 'cassini-docker-hub', 'public.ecr.aws': 'cassini-ecr-public', 'quay.io': 'cassini-quay', 'registry.k8s.io': 'cassini-k8s' },
};

describe('cachedImage', () => {
  // "Pulling an image with a pull through cache rule in Amazon ECR" (Amazon ECR User Guide): a
  // cached image is pulled as <registry>/<prefix>/<upstream repository>:<tag>, and a Docker Hub
  // official image needs its `library/` namespace in that path.
  it.each([
    ['python:3.12', `${REGISTRY}/cassini-docker-hub/library/python:3.12`],
    ['python', `${REGISTRY}/cassini-docker-hub/library/python`],
    ['alpine/git:v2.47.2', `${REGISTRY}/cassini-docker-hub/alpine/git:v2.47.2`],
    ['docker.io/library/python:3.12', `${REGISTRY}/cassini-docker-hub/library/python:3.12`],
    ['docker.io/python:3.12', `${REGISTRY}/cassini-docker-hub/library/python:3.12`],
    ['index.docker.io/jupyter/base-notebook:latest', `${REGISTRY}/cassini-docker-hub/jupyter/base-notebook:latest`],
    ['public.ecr.aws/x/y:t', `${REGISTRY}/cassini-ecr-public/x/y:t`],
    ['public.ecr.aws/docker/library/node:22.12.0-alpine3.21', `${REGISTRY}/cassini-ecr-public/docker/library/node:22.12.0-alpine3.21`],
    ['quay.io/jupyter/scipy-notebook@sha256:0123abcd', `${REGISTRY}/cassini-quay/jupyter/scipy-notebook@sha256:0123abcd`],
    ['registry.k8s.io/pause:3.9', `${REGISTRY}/cassini-k8s/pause:3.9`],
  ])('rewrites %s to the cache', (reference, expected) => {
    expect(cachedImage(reference, cache)).toBe(expected);
  });

  it.each([
    ['the account’s own ECR', `${REGISTRY}/team/model:1`],
    ['a registry without a rule', 'ghcr.io/acme/tool:1'],
    ['a registry with a port', 'localhost:5000/tool:1'],
  ])('leaves an image from %s as it is', (_, reference) => {
    expect(cachedImage(reference, cache)).toBe(reference);
  });

  it('leaves every image as it is without a cache, and Docker Hub images when Docker Hub has no rule (no credentials)', () => {
    expect(cachedImage('python:3.12', undefined)).toBe('python:3.12');
    const { 'docker.io': _, ...withoutDockerHub } = cache.prefixes;
    expect(cachedImage('python:3.12', { registry: REGISTRY, prefixes: withoutDockerHub })).toBe('python:3.12');
  });

  it('is idempotent: a rewritten reference names the private registry, which has no rule', () => {
    const once = cachedImage('python:3.12', cache);
    expect(cachedImage(once, cache)).toBe(once);
  });
});

describe('imageCacheFromEnv', () => {
  it('reads the registry and the host=prefix pairs the stack sets', () => {
    const env = { IMAGE_CACHE_REGISTRY: REGISTRY, IMAGE_CACHE_PREFIXES: imageCachePrefixesEnv(cache.prefixes) };
    expect(imageCacheFromEnv(env)).toEqual(cache);
  });

  it('is no cache without a registry, and refuses a malformed pair', () => {
    expect(imageCacheFromEnv({})).toBeUndefined();
    expect(() => imageCacheFromEnv({ IMAGE_CACHE_REGISTRY: REGISTRY, IMAGE_CACHE_PREFIXES: 'quay.io' })).toThrow(/host=prefix/);
  });
});

describe('EcsTaskDefinitions with an image cache', () => {
  const client = new ECSClient({ region: 'eu-west-1' });
  const ecs = mockClient(client);
  const defaults = {
    executionRoleArn: 'arn:aws:iam::123456789012:role/cassini-task-execution',
    taskRoleArn: 'arn:aws:iam::123456789012:role/cassini-task',
    logGroup: '/cassini/tasks',
    region: 'eu-west-1',
  };
  const attachmentSettings = { secretArnPrefix: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/', gitImage: 'alpine/git:v2.47.2' };
  const edge = {
    plan: { owner: 'alice', viewers: [], routes: [], healthCheckPath: '/' },
    settings: { image: 'public.ecr.aws/docker/library/node:22.12.0-alpine3.21', code: 'Y29kZQ==', region: 'eu-west-1', loadBalancerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/cassini/1', apiUrl: 'https://api.example.com' },
  };

  beforeEach(() => {
    ecs.reset();
    ecs.on(DescribeTaskDefinitionCommand).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-x:1', status: 'ACTIVE' } });
  });

  const registeredImages = () => ecs.commandCalls(RegisterTaskDefinitionCommand).flatMap((c) => (c.args[0].input.containerDefinitions ?? []).map((d) => [d.name, d.image]));

  it('registers a job whose user image and git init image are pulled through the cache', async () => {
    // Prepare
    const definitions = new EcsTaskDefinitions({ client, ...defaults, attachmentSettings, imageCache: cache });

    // Act
    await definitions.ensure({ image: 'python:3.12', size: sizeNamed('medium') as Size, attachments: { gitRepositories: [{ url: 'https://github.com/acme/etl.git', path: 'workspace/etl', onRestart: 'preserve changes' }] } });

    // Assess
    expect(Object.fromEntries(registeredImages())).toEqual({
      git: `${REGISTRY}/cassini-docker-hub/alpine/git:v2.47.2`,
      main: `${REGISTRY}/cassini-docker-hub/library/python:3.12`,
    });
  });

  it('registers a service whose edge sidecar image is pulled through the cache', async () => {
    // Prepare
    const definitions = new EcsTaskDefinitions({ client, ...defaults, imageCache: cache });

    // Act
    await definitions.ensureService({ image: 'quay.io/jupyter/base-notebook:2024-12-02', size: sizeNamed('medium') as Size, container: { family: 'cassini-dep-1', script: 'serve', environment: [], ports: [8000], edge } });

    // Assess
    expect(Object.fromEntries(registeredImages())).toEqual({
      edge: `${REGISTRY}/cassini-ecr-public/docker/library/node:22.12.0-alpine3.21`,
      main: `${REGISTRY}/cassini-quay/jupyter/base-notebook:2024-12-02`,
    });
  });
});
