/**
 * What a planner asks the compute runtime to run: one task (a run's rank, a service's replica)
 * and what it carries besides its command. Domain types: the planner produces them and the
 * compute port (shared/ports/task-driver.ts) takes them, so the domain imports nothing from the ports.
 */

export interface TaskSpec {
  /** Unique per task, e.g. `<run id>-<rank>`; launching the same id twice starts it once. */
  taskId: string;
  /** What the task belongs to (a run, or a deployment's replica set): for listing and cleanup. */
  group: string;
  /** Run with `sh -c` (in the image's shell on AWS). */
  command: string;
  /** Runs in the same shell before `command`, so what it exports reaches the command. */
  startScript?: string;
  environment: Record<string, string>;
  /** Working directory as the spec writes it: absolute under /home/jovyan, or relative to it. */
  workingDirectory?: string;
  /** Container ports the task serves besides $PORT (each gets a port of its own locally). */
  extraPorts?: number[];
  /** Cost-allocation and lookup labels: owner, resource, run, rank. */
  labels: Record<string, string>;
  /**
   * A persistent volume to use as /home/jovyan (a workspace's home): what the task writes
   * there outlives it and is seen by the next task given the same volume. Without it the
   * home is the task's own and ends with it.
   */
  homeVolume?: string;
  /** What the task carries besides its command: secrets, repositories, folders, files, packages, role, token. */
  attachments?: TaskAttachments;
  /**
   * The resource whose Dask cluster the task may reach (its own resource's, set by the planner,
   * never from the spec's environment): on AWS the task joins that cluster's security group.
   */
  daskCluster?: string;
}

/** A catalog object by owner and name (secrets, shared folders). */
export interface CatalogRef {
  owner: string;
  name: string;
}

/**
 * A secret the task receives. Only the reference travels in specs and records: the driver
 * reads the value when it starts the task (ECS: `secrets` in the container definition), so
 * no event, record or log line ever holds it.
 */
export type SecretMount =
  | (CatalogRef & { as: 'environment_variable'; variable: string })
  /** `path` as the spec writes it: absolute under /home/jovyan, or relative to it; written 0600 before the command starts. */
  | (CatalogRef & { as: 'file'; path: string });

export interface GitCheckout {
  url: string;
  /** Where it is cloned, as the spec writes paths (default /home/jovyan/workspace/<repository name>). */
  path: string;
  /** A branch, tag or commit; absent: the remote's default branch. */
  reference?: string;
  referenceType?: 'branch' | 'tag' | 'commit';
  /** Workspaces keep a checkout that is already there unless `reclone`. */
  onRestart: 'preserve changes' | 'reclone';
  /** A secret holding an SSH private key for a private repository. */
  deployKey?: CatalogRef;
}

export interface FolderMount extends CatalogRef {
  /** Where it appears in the task (default /home/jovyan/shared/<owner>/<name>). */
  path: string;
  readOnly: boolean;
}

export interface TaskAttachments {
  secrets?: SecretMount[];
  gitRepositories?: GitCheckout[];
  sharedFolders?: FolderMount[];
  /** Written with their mode before the start script runs. */
  configFiles?: Array<{ path: string; content: string; mode: number }>;
  /** Installed before the start script runs, in this order: apt, conda, pip, cran. */
  extraPackages?: { apt?: string[]; conda?: string[]; condaChannels?: string[]; useMamba?: boolean; pip?: string[]; cran?: string[] };
  /** The registered IAM role the task runs as (its ECS task role); not used locally. */
  taskRoleArn?: string;
  /** Give the task SATURN_TOKEN, an API token acting as this owner, revoked when the task ends. */
  platformTokenFor?: string;
}
