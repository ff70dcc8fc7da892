/**
 * What a resource's own IAM roles may do, read off the task definition they serve. Pure: the
 * definition the platform is about to register names every access point its tasks mount, every
 * secret ECS injects, every image it pulls and the log group it writes, so the roles are granted
 * exactly that and nothing a tenant could widen (tenants never write definitions).
 *
 * - The task role (what the task's code runs as) may mount the definition's access points and
 *   no other: `elasticfilesystem:ClientMount` (and `ClientWrite` for those mounted read-write) on
 *   the file system, with `elasticfilesystem:AccessPointArn` equal to one of them ("Using IAM to
 *   control file system data access", Amazon EFS User Guide). It may assume the one role an
 *   admin registered and the resource attaches, and open ECS Exec's channels.
 * - The execution role (what ECS starts the task with) may read the secrets the definition names
 *   ("Pass sensitive data to an Amazon ECS container": the execution role needs
 *   secretsmanager:GetSecretValue on each), pull the images it names from this account's
 *   registry (the pull-through cache's first pull creates and imports the repository), write its
 *   log group, and read job tasks' SATURN_TOKEN files.
 */
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';

/** IAM's JSON policy grammar, as much of it as these roles use. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** Where the account's resources are, to name them in ARNs. */
export interface RoleGrantSettings {
  partition: string;
  region: string;
  account: string;
  /** The ECS Exec session log group (its sessions' streams are written with the task role). */
  execLogGroup?: string;
  /** The bucket of job tasks' SATURN_TOKEN files (`tokens/<task id>.env`). */
  tasksBucket?: string;
  /** The pull-through cache's repository prefixes: their first pull creates the repository. */
  cachePrefixes?: string[];
}

/** What a definition asks of its roles. */
export interface DefinitionNeeds {
  /** Each access point the definition mounts, on its file system, and whether any mount of it writes. */
  accessPoints: Array<{ fileSystemId: string; accessPointId: string; write: boolean }>;
  /** The `valueFrom` of every secret of every container. */
  secretArns: string[];
  images: string[];
  logGroups: string[];
}

/** Reads what `input` asks of its roles. */
export function definitionNeeds(input: RegisterTaskDefinitionCommandInput): DefinitionNeeds {
  const containers = input.containerDefinitions ?? [];
  const accessPoints = (input.volumes ?? []).flatMap((volume) => {
    const efs = volume.efsVolumeConfiguration;
    const accessPointId = efs?.authorizationConfig?.accessPointId;
    if (!efs || !accessPointId) return [];
    const write = containers.some((c) => (c.mountPoints ?? []).some((m) => m.sourceVolume === volume.name && m.readOnly !== true));
    return [{ fileSystemId: efs.fileSystemId!, accessPointId, write }];
  });
  const unique = (values: Array<string | undefined>) => [...new Set(values.filter((v): v is string => Boolean(v)))].sort();
  return {
    accessPoints,
    secretArns: unique(containers.flatMap((c) => (c.secrets ?? []).map((s) => s.valueFrom))),
    images: unique(containers.map((c) => c.image)),
    logGroups: unique(containers.map((c) => c.logConfiguration?.options?.['awslogs-group'])),
  };
}

function arn(settings: RoleGrantSettings, service: string, resource: string, region = settings.region, account = settings.account): string {
  return `arn:${settings.partition}:${service}:${region}:${account}:${resource}`;
}

/**
 * A secret's ARN as a policy resource. A full ARN (the name, `-` and the six characters Secrets
 * Manager appends) is itself; a partial one gets the suffix as wildcards, `-??????`, which
 * matches that secret's full ARN and not a longer name's ("Permissions policy examples for AWS
 * Secrets Manager", AWS Secrets Manager User Guide). A partial ARN whose name ends like a
 * suffix is taken for a full one: ECS then cannot read it and the start fails, never a wider grant.
 * A JSON key's reference (a Dask cluster's TLS files) grants the whole secret it is part of.
 */
export function secretResource(valueFrom: string): string {
  // ECS reads one JSON key (or version) of a secret as `<secret ARN>:<json-key>:<version-stage>:<version-id>`
  // ("Pass Secrets Manager secrets through Amazon ECS environment variables"); the grant is on the
  // secret itself, whose ARN is the first seven colon-separated fields (names hold no colon).
  const secretArn = valueFrom.split(':').slice(0, 7).join(':');
  return /-[A-Za-z0-9]{6}$/.test(secretArn) ? secretArn : `${secretArn}-??????`;
}

/** ECR's repository names ("CreateRepository", Amazon ECR API Reference): no `*` or `?` can reach a policy through one. */
const ECR_REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * The repository of an image in this account's registry, or undefined for an image pulled from
 * elsewhere, or for a name ECR could not hold (a user names images: `…/*` must not become a
 * wildcard grant; ECS then fails the pull, with nothing granted).
 */
export function ecrRepositoryOf(image: string, settings: Pick<RoleGrantSettings, 'account' | 'region'>): string | undefined {
  const host = `${settings.account}.dkr.ecr.${settings.region}.`;
  if (!image.startsWith(host)) return undefined;
  const repository = image.slice(image.indexOf('/') + 1).replace(/@.*$/, '').replace(/:[^/]*$/, '');
  return ECR_REPOSITORY_NAME.test(repository) && repository.length <= 256 ? repository : undefined;
}

/**
 * A service revision's SATURN_TOKEN secret (`<prefix>_tasks/cassini-<resource id>-r<revision>`,
 * task-token-secrets.ts) as a grant on every revision's of the same resource: ECS may start a
 * replica of an older revision (a rollback) after the role's policy was rewritten for the newer
 * one. Retired revisions' secrets are deleted, so the pattern reaches no more than live ones.
 */
export function revisionTokenSecrets(resource: string): string {
  const revision = /^(arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:[^*?]*_tasks\/cassini-[0-9a-f]{32}-r)\d+-[A-Za-z0-9]{6}$/.exec(resource);
  return revision ? `${revision[1]}*` : resource;
}

/** The task role's policy: mount exactly these access points, assume the registered role the resource attaches (if any), and ECS Exec. */
export function taskRolePolicy(needs: Pick<DefinitionNeeds, 'accessPoints'>, settings: RoleGrantSettings, registeredRoleArn?: string): PolicyDocument {
  const statements: PolicyStatement[] = [];
  if (registeredRoleArn) statements.push({ Sid: 'AssumeRegisteredRole', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: registeredRoleArn });
  const fileSystems = [...new Set(needs.accessPoints.map((a) => a.fileSystemId))].sort();
  const accessPointArn = (id: string) => arn(settings, 'elasticfilesystem', `access-point/${id}`);
  const mounted = needs.accessPoints.map((a) => accessPointArn(a.accessPointId)).sort();
  const written = needs.accessPoints.filter((a) => a.write).map((a) => accessPointArn(a.accessPointId)).sort();
  const onFileSystems = fileSystems.map((id) => arn(settings, 'elasticfilesystem', `file-system/${id}`));
  if (mounted.length > 0) {
    statements.push({ Sid: 'MountOwnAccessPoints', Effect: 'Allow', Action: ['elasticfilesystem:ClientMount'], Resource: onFileSystems, Condition: { ArnEquals: { 'elasticfilesystem:AccessPointArn': mounted } } });
  }
  if (written.length > 0) {
    statements.push({ Sid: 'WriteOwnAccessPoints', Effect: 'Allow', Action: ['elasticfilesystem:ClientWrite'], Resource: onFileSystems, Condition: { ArnEquals: { 'elasticfilesystem:AccessPointArn': written } } });
  }
  // ECS Exec: the agent opens Session Manager channels (no resource-level permissions) and logs the session with the task role.
  statements.push({ Sid: 'ExecChannels', Effect: 'Allow', Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'], Resource: '*' });
  if (settings.execLogGroup) {
    statements.push({ Sid: 'ExecLogGroups', Effect: 'Allow', Action: ['logs:DescribeLogGroups'], Resource: '*' });
    statements.push({ Sid: 'ExecSessionLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arn(settings, 'logs', `log-group:${settings.execLogGroup}:log-stream:*`) });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** The execution role's policy: these secrets, these images, this log group, and (for jobs) token files. */
export function executionRolePolicy(needs: Omit<DefinitionNeeds, 'accessPoints'>, settings: RoleGrantSettings, options: { tokenFiles: boolean }): PolicyDocument {
  const statements: PolicyStatement[] = [];
  if (needs.secretArns.length > 0) {
    statements.push({ Sid: 'ReadNamedSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [...new Set(needs.secretArns.map((arn) => revisionTokenSecrets(secretResource(arn))))].sort() });
  }
  const repositories = [...new Set(needs.images.flatMap((image) => ecrRepositoryOf(image, settings) ?? []))].sort();
  if (repositories.length > 0) {
    const repositoryArn = (name: string) => arn(settings, 'ecr', `repository/${name}`);
    statements.push({ Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' });
    statements.push({ Sid: 'PullNamedImages', Effect: 'Allow', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], Resource: repositories.map(repositoryArn) });
    const cached = repositories.filter((name) => (settings.cachePrefixes ?? []).some((prefix) => name.startsWith(`${prefix}/`)));
    if (cached.length > 0) statements.push({ Sid: 'PullThroughCache', Effect: 'Allow', Action: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'], Resource: cached.map(repositoryArn) });
  }
  if (needs.logGroups.length > 0) {
    statements.push({ Sid: 'WriteTaskLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: needs.logGroups.map((group) => arn(settings, 'logs', `log-group:${group}:*`)) });
  }
  if (options.tokenFiles && settings.tasksBucket) {
    statements.push({ Sid: 'ReadTokenFiles', Effect: 'Allow', Action: ['s3:GetObject'], Resource: `arn:${settings.partition}:s3:::${settings.tasksBucket}/tokens/*` });
    statements.push({ Sid: 'LocateTokenBucket', Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: `arn:${settings.partition}:s3:::${settings.tasksBucket}` });
  }
  return { Version: '2012-10-17', Statement: statements };
}
