/**
 * The deploy-time parameters of the AWS app, read from CDK context (`cdk deploy -c key=value`
 * or the `context` block of cdk.json). Every one is optional: with none, the app synthesizes a
 * complete platform without ingress, in a VPC of its own. README "Deploying to AWS" lists them.
 */
import type { Node } from 'constructs';
import { GPU_INSTANCE_TYPES } from '../../shared/domain/sizes.ts';
import { parsePriceTable, type PriceTable } from '../../shared/domain/usage/instance-prices.ts';
import { organizationFromSetting, type Organization } from '../../shared/domain/identity/organization.ts';

/** A VPC that already exists, named by id: imported without any lookup, so synth stays offline. */
export interface ExistingVpc {
  vpcId: string;
  availabilityZones: string[];
  /** One or more per availability zone, in the order of `availabilityZones`; they need a route to the internet (NAT). */
  privateSubnetIds: string[];
  /** Needed only with a domain (the load balancer lives there). */
  publicSubnetIds: string[];
}

/** Deployments and workspaces are served at `https://<subdomain>.<domainName>/`. */
export interface IngressConfig {
  domainName: string;
  /** An ACM certificate in the stack's region covering `*.<domainName>`. */
  certificateArn: string;
  /** With a hosted zone, the app creates the `*.<domainName>` alias record; without, point it at the load balancer yourself. */
  hostedZone?: { id: string; name: string };
}

/** Credentials for the pull-through cache's upstreams that require them (infra/aws/constructs/image-cache.ts). */
export interface ImageCacheConfig {
  /** A Secrets Manager secret (`username`, `accessToken`) for Docker Hub; without it Docker Hub images are pulled directly. */
  dockerHubCredentialsSecret?: string;
  /** The same for the GitHub Container Registry. */
  githubCredentialsSecret?: string;
}

export interface PlatformConfig {
  ingress?: IngressConfig;
  /** The GPU instance types provisioned (one Auto Scaling group and capacity provider each) and each group's instance limit. */
  gpu: { instanceTypes: string[]; maxInstances: number };
  vpc?: ExistingVpc;
  /** Availability zones for a new VPC; default: two of the region's (no lookup). */
  availabilityZones?: string[];
  /** The first admin: created in the user pool, in the `admins` group, and subscribed to alarms unless `alarmEmail` names someone else. */
  adminEmail?: string;
  /** Where alarms are mailed (an SNS e-mail subscription, confirmed by the recipient); default: `adminEmail`. */
  alarmEmail?: string;
  /** The image of the init container that clones tasks' git repositories; default `alpine/git` (shared/adapters/aws/tasks/ecs-attachments.ts). */
  gitImage?: string;
  /** The image the edge sidecar of service tasks runs in (Node.js 22); default a pinned public one (shared/adapters/aws/services/edge-sidecar.ts). */
  edgeImage?: string;
  imageCache: ImageCacheConfig;
  /** Prices per instance-hour by size for the usage answers (CASSINI_PRICES of the API); absent: hours only. */
  prices?: PriceTable;
  /** The installation's one organization (`/api/orgs`, owner names `<org>/<name>`); default `cassini`. */
  organization: Organization;
  /** The port of the SSH entry point (infra/aws/constructs/ssh-gateway.ts); without it the stack has none. */
  sshPort?: number;
}

/** ECR reads a pull-through cache rule's credentials only from secrets named so ("Creating a pull through cache rule in Amazon ECR"). */
export const PULL_THROUGH_SECRET_PREFIX = 'ecr-pullthroughcache/';

/** Secrets Manager names the platform owns start with this; no role may touch other secrets. */
export const PLATFORM_SECRET_PREFIX = 'cassini/';
/** IAM path under which an admin creates the task roles users may attach (`PUT /api/iam_roles/{name}`): the catalog refuses others. */
export { WORKLOAD_ROLE_PATH } from '../../shared/domain/catalog/catalog-object.ts';

export const CONTEXT_KEYS = {
  domainName: 'domainName',
  certificateArn: 'certificateArn',
  hostedZoneId: 'hostedZoneId',
  hostedZoneName: 'hostedZoneName',
  gpuInstanceTypes: 'gpuInstanceTypes',
  gpuMaxInstances: 'gpuMaxInstances',
  vpcId: 'vpcId',
  vpcAvailabilityZones: 'vpcAvailabilityZones',
  vpcPrivateSubnetIds: 'vpcPrivateSubnetIds',
  vpcPublicSubnetIds: 'vpcPublicSubnetIds',
  availabilityZones: 'availabilityZones',
  adminEmail: 'adminEmail',
  alarmEmail: 'alarmEmail',
  gitImage: 'gitImage',
  edgeImage: 'edgeImage',
  dockerHubCredentialsSecret: 'dockerHubCredentialsSecret',
  githubCredentialsSecret: 'githubCredentialsSecret',
  prices: 'prices',
  orgName: 'orgName',
  sshPort: 'sshPort',
} as const;

const DEFAULT_GPU_INSTANCE_TYPES = ['g5.xlarge', 'g4dn.xlarge'];
const DEFAULT_GPU_MAX_INSTANCES = 2;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Lookup = (key: string) => unknown;

function text(get: Lookup, key: string): string | undefined {
  const value = get(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(`context "${key}" must be a string`);
  return value.trim();
}

/** A list given as a JSON array in cdk.json or as `a,b,c` on the command line. */
function list(get: Lookup, key: string): string[] | undefined {
  const value = get(key);
  if (value === undefined || value === null || value === '') return undefined;
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!items || items.some((v) => typeof v !== 'string')) throw new ConfigError(`context "${key}" must be a list of strings (comma-separated on the command line)`);
  const trimmed = (items as string[]).map((v) => v.trim()).filter(Boolean);
  return trimmed.length > 0 ? trimmed : undefined;
}

function integer(get: Lookup, key: string, min: number, max: number): number | undefined {
  const value = get(key);
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`context "${key}" must be an integer from ${min} to ${max}`);
  return n;
}

function ingressConfig(get: Lookup): IngressConfig | undefined {
  const domainName = text(get, CONTEXT_KEYS.domainName)?.toLowerCase().replace(/\.$/, '');
  const certificateArn = text(get, CONTEXT_KEYS.certificateArn);
  const hostedZoneId = text(get, CONTEXT_KEYS.hostedZoneId);
  if (!domainName) {
    if (certificateArn || hostedZoneId) throw new ConfigError(`"${CONTEXT_KEYS.certificateArn}" and "${CONTEXT_KEYS.hostedZoneId}" need "${CONTEXT_KEYS.domainName}"`);
    return undefined;
  }
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domainName)) throw new ConfigError(`context "${CONTEXT_KEYS.domainName}" is not a domain name: ${domainName}`);
  if (!certificateArn) throw new ConfigError(`"${CONTEXT_KEYS.domainName}" needs "${CONTEXT_KEYS.certificateArn}": an ACM certificate covering *.${domainName}`);
  if (!/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/.test(certificateArn)) throw new ConfigError(`context "${CONTEXT_KEYS.certificateArn}" is not an ACM certificate ARN`);
  const hostedZone = hostedZoneId ? { id: hostedZoneId, name: text(get, CONTEXT_KEYS.hostedZoneName) ?? domainName } : undefined;
  return { domainName, certificateArn, ...(hostedZone ? { hostedZone } : {}) };
}

function existingVpc(get: Lookup): ExistingVpc | undefined {
  const vpcId = text(get, CONTEXT_KEYS.vpcId);
  if (!vpcId) return undefined;
  const availabilityZones = list(get, CONTEXT_KEYS.vpcAvailabilityZones);
  const privateSubnetIds = list(get, CONTEXT_KEYS.vpcPrivateSubnetIds);
  const publicSubnetIds = list(get, CONTEXT_KEYS.vpcPublicSubnetIds) ?? [];
  if (!availabilityZones || !privateSubnetIds) {
    throw new ConfigError(`"${CONTEXT_KEYS.vpcId}" needs "${CONTEXT_KEYS.vpcAvailabilityZones}" and "${CONTEXT_KEYS.vpcPrivateSubnetIds}" (no lookups are made)`);
  }
  if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) throw new ConfigError(`context "${CONTEXT_KEYS.vpcId}" is not a VPC id (vpc-...)`);
  for (const [key, ids] of [[CONTEXT_KEYS.vpcPrivateSubnetIds, privateSubnetIds], [CONTEXT_KEYS.vpcPublicSubnetIds, publicSubnetIds]] as const) {
    const bad = ids.find((id) => !/^subnet-[0-9a-f]{8,17}$/.test(id));
    if (bad) throw new ConfigError(`context "${key}" holds "${bad}", which is not a subnet id (subnet-...)`);
    if (ids.length % availabilityZones.length !== 0) throw new ConfigError(`context "${key}" must list the same number of subnets in each of the ${availabilityZones.length} availability zones`);
  }
  return { vpcId, availabilityZones, privateSubnetIds, publicSubnetIds };
}

function emailAddress(get: Lookup, key: string): string | undefined {
  const address = text(get, key);
  if (address && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw new ConfigError(`context "${key}" is not an e-mail address`);
  return address;
}

function pullThroughSecret(get: Lookup, key: string): string | undefined {
  const name = text(get, key);
  if (name && !name.startsWith(PULL_THROUGH_SECRET_PREFIX)) throw new ConfigError(`context "${key}" must name a Secrets Manager secret whose name starts with "${PULL_THROUGH_SECRET_PREFIX}" (ECR requires it); got "${name}"`);
  return name;
}

/** `"default"` (the dated on-demand table of instance-prices.ts) or an object of size to price per instance-hour. */
function priceTable(get: Lookup): PriceTable | undefined {
  const value = get(CONTEXT_KEYS.prices);
  if (value === undefined || value === null || value === '') return undefined;
  try {
    return parsePriceTable(typeof value === 'string' ? (value.trim() === 'default' ? 'default' : value) : JSON.stringify(value), `context "${CONTEXT_KEYS.prices}"`);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** Reads and checks the app's parameters; a wrong one stops synth with a message naming it. */
export function platformConfig(lookup: Lookup): PlatformConfig {
  const ingress = ingressConfig(lookup);
  const vpc = existingVpc(lookup);
  if (ingress && vpc && vpc.publicSubnetIds.length === 0) throw new ConfigError(`a domain with an existing VPC needs "${CONTEXT_KEYS.vpcPublicSubnetIds}" for the load balancer`);
  const availabilityZones = list(lookup, CONTEXT_KEYS.availabilityZones);
  if (vpc && availabilityZones) throw new ConfigError(`"${CONTEXT_KEYS.availabilityZones}" is for a new VPC; an existing one takes "${CONTEXT_KEYS.vpcAvailabilityZones}"`);
  const adminEmail = emailAddress(lookup, CONTEXT_KEYS.adminEmail);
  const alarmEmail = emailAddress(lookup, CONTEXT_KEYS.alarmEmail) ?? adminEmail;
  const instanceTypes = list(lookup, CONTEXT_KEYS.gpuInstanceTypes) ?? DEFAULT_GPU_INSTANCE_TYPES;
  const badType = instanceTypes.find((t) => !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(t));
  if (badType) throw new ConfigError(`context "${CONTEXT_KEYS.gpuInstanceTypes}" holds "${badType}", which is not an EC2 instance type (e.g. g5.xlarge)`);
  // Each provisioned type is offered as the sizes that name it (GET /api/info/servers): a type no size names would cost and serve nothing.
  const unsized = instanceTypes.find((t) => !GPU_INSTANCE_TYPES.includes(t));
  if (unsized) throw new ConfigError(`context "${CONTEXT_KEYS.gpuInstanceTypes}" holds "${unsized}", which no GPU size runs on; choose from ${GPU_INSTANCE_TYPES.join(', ')}`);
  const gitImage = text(lookup, CONTEXT_KEYS.gitImage);
  if (gitImage && /\s/.test(gitImage)) throw new ConfigError(`context "${CONTEXT_KEYS.gitImage}" is not an image reference: ${gitImage}`);
  const edgeImage = text(lookup, CONTEXT_KEYS.edgeImage);
  if (edgeImage && /\s/.test(edgeImage)) throw new ConfigError(`context "${CONTEXT_KEYS.edgeImage}" is not an image reference: ${edgeImage}`);
  const dockerHubCredentialsSecret = pullThroughSecret(lookup, CONTEXT_KEYS.dockerHubCredentialsSecret);
  const githubCredentialsSecret = pullThroughSecret(lookup, CONTEXT_KEYS.githubCredentialsSecret);
  const prices = priceTable(lookup);
  let organization: Organization;
  try {
    organization = organizationFromSetting(text(lookup, CONTEXT_KEYS.orgName), `context "${CONTEXT_KEYS.orgName}"`);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const sshPort = integer(lookup, CONTEXT_KEYS.sshPort, 1, 65535);
  if (sshPort !== undefined && vpc && vpc.publicSubnetIds.length === 0) throw new ConfigError(`"${CONTEXT_KEYS.sshPort}" with an existing VPC needs "${CONTEXT_KEYS.vpcPublicSubnetIds}" for the SSH load balancer`);
  return {
    ...(prices ? { prices } : {}),
    ...(ingress ? { ingress } : {}),
    gpu: {
      instanceTypes: [...new Set(instanceTypes)],
      maxInstances: integer(lookup, CONTEXT_KEYS.gpuMaxInstances, 0, 1000) ?? DEFAULT_GPU_MAX_INSTANCES,
    },
    ...(vpc ? { vpc } : {}),
    ...(availabilityZones ? { availabilityZones } : {}),
    ...(adminEmail ? { adminEmail } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(gitImage ? { gitImage } : {}),
    ...(edgeImage ? { edgeImage } : {}),
    ...(sshPort !== undefined ? { sshPort } : {}),
    imageCache: { ...(dockerHubCredentialsSecret ? { dockerHubCredentialsSecret } : {}), ...(githubCredentialsSecret ? { githubCredentialsSecret } : {}) },
    organization,
  };
}

/** The parameters as a construct tree's context holds them. */
export function platformConfigFromContext(node: Node): PlatformConfig {
  return platformConfig((key) => node.tryGetContext(key));
}
