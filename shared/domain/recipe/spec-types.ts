/**
 * The spec of each resource type as the platform keeps it: what its zod schema accepts
 * (`z.infer`), with the defaults `parseRecipe` applies made required. Code downstream reads
 * fields with their types and narrows a resource by its `type`, never by casting.
 */
import type * as z from 'zod';
import type { ResourceType, specSchemas } from './spec-schemas.ts';

type SpecInput<T extends ResourceType> = z.infer<(typeof specSchemas)[T]>;

type GitRepositoryInput = NonNullable<SpecInput<ResourceType>['git_repositories']>[number];
/** A repository to clone, with its default path and restart behaviour filled in. */
export type GitRepository = GitRepositoryInput & Required<Pick<GitRepositoryInput, 'path' | 'on_restart'>>;

type RouteInput = NonNullable<SpecInput<'workspace' | 'deployment'>['routes']>[number];
/** An extra route; `visibility` defaults to `owner`, so nothing is public unless its owner says so. */
export type SpecRoute = RouteInput & Required<Pick<RouteInput, 'visibility'>>;

export type SecretAttachment = NonNullable<SpecInput<ResourceType>['secrets']>[number];
export type SharedFolderAttachment = NonNullable<SpecInput<ResourceType>['shared_folders']>[number];
export type ConfigFile = NonNullable<SpecInput<ResourceType>['config_files']>[string];
export type ExtraPackages = NonNullable<SpecInput<ResourceType>['extra_packages']>;
export type PackageList = NonNullable<ExtraPackages['pip']>;
export type DaskClusterSpec = NonNullable<SpecInput<ResourceType>['dask_cluster']>;
export type SpecViewer = NonNullable<SpecInput<'workspace' | 'deployment'>['viewers']>[number];
export type ConcurrencyPolicy = NonNullable<SpecInput<'job'>['concurrency_policy']>;

/**
 * A type's input spec after normalization: `Defaulted` fields and the owner and size always
 * present, repositories and routes with their own defaults.
 */
type Normalized<S extends object, Defaulted extends keyof S> = Omit<S, Defaulted | 'owner' | 'instance_type' | 'git_repositories' | 'routes'> & {
  [K in Defaulted]-?: Exclude<S[K], undefined>;
} & {
  owner: string;
  instance_type: string;
  git_repositories?: GitRepository[];
} & ('routes' extends keyof S ? { routes?: SpecRoute[] } : unknown);

export type WorkspaceSpec = Normalized<SpecInput<'workspace'>, 'ide' | 'image' | 'auto_shutoff' | 'disk_space'>;
export type DeploymentSpec = Normalized<SpecInput<'deployment'>, 'image' | 'scale' | 'healthcheck' | 'subdomain'>;
export type JobSpec = Normalized<SpecInput<'job'>, 'image' | 'scale' | 'concurrency_policy' | 'retries' | 'schedule_timezone'>;

/** The spec of a resource of type `T`. */
export type SpecOf<T extends ResourceType> = { workspace: WorkspaceSpec; deployment: DeploymentSpec; job: JobSpec }[T];
/** A spec of any type: what every type shares is readable without narrowing. */
export type ResourceSpec = SpecOf<ResourceType>;
/** A spec with its type beside it, so narrowing `type` narrows `spec`. */
export type TypedSpec = { [T in ResourceType]: { type: T; spec: SpecOf<T> } }[ResourceType];
