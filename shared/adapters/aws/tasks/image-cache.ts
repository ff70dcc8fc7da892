/**
 * Image references rewritten to the account's ECR pull-through cache. The stack creates one
 * pull-through cache rule per upstream registry (infra/aws/constructs/image-cache.ts); a task
 * whose image comes from such a registry pulls `<registry>/<prefix>/<repository>:<tag>` instead,
 * so ECS pulls from ECR inside the region (no Docker Hub rate limit on the NAT address, no
 * outage when the upstream is down once the image is cached). Images from registries without a
 * rule (the account's own ECR, a private registry) are left as they are.
 *
 * How a reference names its registry follows Docker's rules: the first path component is a
 * registry host only if it holds a `.` or `:` or is `localhost`; otherwise the image is on
 * Docker Hub, and a one-component name is an official image under `library/` ("Pulling an
 * image with a pull through cache rule in Amazon ECR": Docker Hub official images need the
 * `library/` namespace in the cached path).
 */
import * as z from 'zod';

/** Docker Hub's names for itself; the cache rule's upstream URL is `registry-1.docker.io`. */
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
export const DOCKER_HUB = 'docker.io';

export const imageCacheSchema = z.object({
  /** `<account>.dkr.ecr.<region>.amazonaws.com` */
  registry: z.string().min(1),
  /** Upstream registry host (`docker.io` for Docker Hub) → the rule's ECR repository prefix. */
  prefixes: z.record(z.string(), z.string().min(1)),
});
export type ImageCache = z.infer<typeof imageCacheSchema>;

interface ImageParts {
  host: string;
  /** The repository path, with `library/` added for Docker Hub official images. */
  repository: string;
  /** `:tag`, `@sha256:…`, both, or nothing. */
  suffix: string;
}

function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/** The registry, repository and tag/digest of a Docker image reference. */
export function imageParts(reference: string): ImageParts {
  const slash = reference.indexOf('/');
  const first = slash < 0 ? '' : reference.slice(0, slash);
  const explicitHost = slash >= 0 && isRegistryHost(first);
  const rawHost = explicitHost ? first : DOCKER_HUB;
  const host = DOCKER_HUB_HOSTS.has(rawHost) ? DOCKER_HUB : rawHost;
  const rest = explicitHost ? reference.slice(slash + 1) : reference;
  // The tag starts at the last `:` after the last `/`; a digest at `@`.
  const at = rest.indexOf('@');
  const beforeDigest = at < 0 ? rest : rest.slice(0, at);
  const lastSlash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.indexOf(':', lastSlash + 1);
  const nameEnd = colon >= 0 ? colon : beforeDigest.length;
  const name = rest.slice(0, nameEnd);
  const repository = host === DOCKER_HUB && !name.includes('/') ? `library/${name}` : name;
  return { host, repository, suffix: rest.slice(nameEnd) };
}

/** The cache URI of `reference` when its registry has a pull-through cache rule; else `reference` unchanged. */
export function cachedImage(reference: string, cache: ImageCache | undefined): string {
  if (!cache) return reference;
  const { host, repository, suffix } = imageParts(reference);
  const prefix = cache.prefixes[host];
  return prefix === undefined ? reference : `${cache.registry}/${prefix}/${repository}${suffix}`;
}

/**
 * The cache the stack configured, from `IMAGE_CACHE_REGISTRY` and `IMAGE_CACHE_PREFIXES`
 * (`host=prefix` pairs, comma-separated); none when the registry is not set.
 */
export function imageCacheFromEnv(env: NodeJS.ProcessEnv): ImageCache | undefined {
  const registry = env.IMAGE_CACHE_REGISTRY;
  if (!registry) return undefined;
  const pairs = (env.IMAGE_CACHE_PREFIXES ?? '').split(',').filter(Boolean);
  const prefixes = Object.fromEntries(
    pairs.map((pair) => {
      const [host, prefix] = pair.split('=');
      if (!host || !prefix) throw new Error(`IMAGE_CACHE_PREFIXES holds "${pair}", which is not host=prefix`);
      return [host, prefix];
    }),
  );
  return imageCacheSchema.parse({ registry, prefixes });
}

/** `host=prefix` pairs for IMAGE_CACHE_PREFIXES. */
export function imageCachePrefixesEnv(prefixes: Record<string, string>): string {
  return Object.entries(prefixes)
    .map(([host, prefix]) => `${host}=${prefix}`)
    .join(',');
}
