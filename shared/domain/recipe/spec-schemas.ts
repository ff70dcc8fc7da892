/**
 * The `spec` of each recipe type, strict: an unknown field is an error naming its path.
 * These schemas validate what a client sends after absent values (null, "", [], {}) were
 * dropped; defaults are applied afterwards by `normalizeRecipe`, so the schemas stay usable
 * for the OpenAPI document as they are.
 *
 * Each is `z.lazy`, built at its first use, not at load: constructing them is about 25 ms of the
 * API's cold start (`npm run bench -- --only lambdas`), and most requests never parse a recipe.
 */
import * as z from 'zod';
import { cronSchedule, dnsLabel, duration, envVarName, envVarNameIssue, filePath, homePath, homePathIssue, principalName, timeZone } from './fields.ts';
import { AUTO_SHUTOFF_CHOICES, DISK_SPACE_CHOICES } from './choices.ts';
import { SIZE_NAMES } from '../sizes.ts';

const owner = z.lazy(() => z.string().min(1).max(200).describe('A user or group name; "<org>/<name>" as Saturn Cloud exports it is accepted'));

const instanceType = z.lazy(() => z.string().refine((s) => SIZE_NAMES.includes(s), {
  message: `must be a size from GET /api/info/servers (${SIZE_NAMES.join(', ')})`,
}));

const gitRepository = z.lazy(() => z.strictObject({
  url: z.string().min(1).max(2048),
  path: filePath.optional(),
  reference: z.string().min(1).max(255).optional(),
  reference_type: z.enum(['branch', 'tag', 'commit']).optional(),
  on_restart: z.enum(['preserve changes', 'reclone']).optional(),
  public: z.boolean().optional(),
}));

/** `location` is the variable's name for an environment variable, the file's path for a file. */
const secretAttachment = z.lazy(() => z
  .strictObject({
    name: z.string().min(1).max(128),
    owner: owner.optional(),
    attachment_type: z.enum(['environment_variable', 'file']),
    location: z.string().min(1).max(1024),
  })
  .superRefine((secret, ctx) => {
    if (secret.attachment_type === 'environment_variable') envVarNameIssue(secret.location, ['location'], ctx);
    else homePathIssue(secret.location, ['location'], ctx);
  }));

const sharedFolderAttachment = z.lazy(() => z.strictObject({
  name: z.string().min(1).max(128),
  owner: owner.optional(),
  path: filePath.optional(),
}));

const daskCluster = z.lazy(() => z.strictObject({
  num_workers: z.number().int().min(0).max(500),
  scheduler: z.strictObject({ instance_type: instanceType.optional() }).optional(),
  worker: z
    .strictObject({
      instance_type: instanceType.optional(),
      num_processes: z.number().int().min(1).max(256).optional(),
      num_threads: z.number().int().min(1).max(256).optional(),
      use_spot_instances: z.boolean().optional(),
    })
    .optional(),
}));

const packageList = z.lazy(() => z.union([
  z.array(z.string().min(1)),
  z.string(),
  z.strictObject({ install: z.union([z.string(), z.array(z.string())]), channels: z.array(z.string()).optional() }),
]));

const extraPackages = z.lazy(() => z.strictObject({
  pip: packageList.optional(),
  conda: packageList.optional(),
  apt: packageList.optional(),
  cran: packageList.optional(),
  use_mamba: z.boolean().optional(),
}));

const configFile = z.lazy(() => z.strictObject({
  content: z.string(),
  mode: z
    .union([z.string().regex(/^0?[0-7]{3,4}$/, 'must be an octal file mode such as "0644"'), z.number().int().min(0).max(0o7777)])
    .optional(),
}));

const route = z.lazy(() => z.strictObject({
  subdomain: dnsLabel.optional(),
  container_port: z.number().int().min(1).max(65535),
  visibility: z.enum(['owner', 'org', 'unauthenticated']).optional(),
  allow_cross_origin: z
    .boolean()
    .optional()
    .describe("extension: pages of other apps and sites may send state-changing requests and open WebSockets with a visitor's session"),
}));

const viewer = z.lazy(() => z.union([principalName, z.strictObject({ name: principalName, type: z.enum(['user', 'group']).optional() })]));

/** Fields every resource type shares (built inside each type's schema). */
const commonSpecShape = () => ({
  name: dnsLabel,
  owner: owner.optional(),
  description: z.string().max(4096).optional(),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
  image: z.string().min(1).max(512).optional(),
  instance_type: instanceType.optional(),
  environment_variables: z.record(envVarName, z.string()).optional(),
  working_directory: filePath.optional(),
  start_script: z.string().max(65536).optional(),
  git_repositories: z.array(gitRepository).max(20).optional(),
  secrets: z.array(secretAttachment).max(100).optional(),
  shared_folders: z.array(sharedFolderAttachment).max(20).optional(),
  dask_cluster: daskCluster.optional(),
  use_spot_instance: z.boolean().optional(),
  extra_packages: extraPackages.optional(),
  config_files: z.record(homePath, configFile).optional(),
  token_scope: z.string().max(256).optional(),
  start_dind: z.boolean().optional(),
  iam_role: z.string().min(1).max(128).optional().describe('extension: name of a registered IAM role'),
});

const workspaceSpecSchema = z.lazy(() => z.strictObject({
  ...commonSpecShape(),
  ide: z.enum(['jupyter', 'rstudio']).optional(),
  disk_space: z.enum(DISK_SPACE_CHOICES).optional(),
  auto_shutoff: z.enum(AUTO_SHUTOFF_CHOICES).optional(),
  start_ssh: z.boolean().optional(),
  routes: z.array(route).max(10).optional(),
  viewers: z.array(viewer).max(100).optional(),
  command: z.string().min(1).max(65536).optional().describe("extension: overrides the IDE's command"),
}));

const deploymentSpecSchema = z.lazy(() => z.strictObject({
  ...commonSpecShape(),
  command: z.string().min(1).max(65536),
  scale: z.number().int().min(1).max(100).optional(),
  healthcheck: z.string().startsWith('/', 'must be a path starting with "/"').max(1024).optional(),
  subdomain: dnsLabel.optional(),
  routes: z.array(route).max(10).optional(),
  viewers: z.array(viewer).max(100).optional(),
}));

const jobSpecSchema = z.lazy(() => z.strictObject({
  ...commonSpecShape(),
  command: z.string().min(1).max(65536),
  scale: z.number().int().min(1).max(100).optional(),
  schedule: cronSchedule.optional(),
  concurrency_policy: z.enum(['Allow', 'Forbid', 'Replace']).optional(),
  retries: z.number().int().min(0).max(100).optional(),
  schedule_timezone: timeZone.optional().describe('extension: IANA time zone of the schedule'),
  timeout: duration.optional().describe('extension: seconds, or a duration such as "90m"'),
}));


export const RESOURCE_TYPES = ['workspace', 'deployment', 'job'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** The spec schema of each resource type. */
export const specSchemas = { workspace: workspaceSpecSchema, deployment: deploymentSpecSchema, job: jobSpecSchema } as const;
