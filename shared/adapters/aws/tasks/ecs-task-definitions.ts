/**
 * ECS task definitions named by their content. Everything that shapes a definition (image,
 * size, roles, log destination, the container's fixed shape) is rendered, hashed, and the hash
 * becomes the family: `cassini-<12 hex>`. Equal specs share one family, a changed spec gets a
 * new one, and "is it registered?" is one DescribeTaskDefinition by family — no registry of
 * our own, and no revision pile-up from registering the same thing on every run.
 *
 * What differs per run (the command, its environment) is not in the definition: it goes in
 * RunTask's container overrides (see container-overrides.ts), so a job's thousand runs reuse
 * one definition.
 *
 * A deployment's or workspace's service takes no overrides: its definition (the same container
 * shape, plus script, environment, ports and home volume) is registered once per revision,
 * under a family that names the resource and revision (service-names.ts).
 */
import { createHash } from 'node:crypto';
import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type KeyValuePair,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import type { Size } from '../../../domain/sizes.ts';
import { renderAttachments, type AttachmentSettings, type ResolvedAttachments } from './ecs-attachments.ts';
import { EDGE_CONTAINER, edgeContainerDefinition, type EdgePlan, type EdgeSidecarSettings } from '../services/edge-sidecar.ts';
import { withSshAgent, type SshAgentSettings } from '../services/ssh-agent-task-parts.ts';
import type { SshAgentWorkspace } from '../ssh/ssh-agent-contract.ts';
import { cachedImage, type ImageCache } from './image-cache.ts';
import { isNamed } from '../sdk-errors.ts';
import type { ResourceRoles } from '../iam/resource-roles.ts';
import { retryWhileRolePropagates, type RolePropagationOptions } from '../iam/role-propagation.ts';
import { registeredRoleProfile } from '../iam/registered-role-profile.ts';

/** The one container of a platform task; overrides address it by this name. */
export { MAIN_CONTAINER } from '../services/service-names.ts';
import { MAIN_CONTAINER } from '../services/service-names.ts';

const FAMILY_PREFIX = 'cassini-';
const FAMILY_HASH_DIGITS = 12;

export interface TaskDefinitionParams {
  image: string;
  size: Size;
  /** The role ECS uses to pull the image and write logs (and, later, read secrets). */
  executionRoleArn: string;
  /** The role the user's code runs as. */
  taskRoleArn: string;
  logGroup: string;
  region: string;
  /** Secrets, checkouts, folders, files and packages (ecs-attachments.ts); absent renders exactly as before attachments existed. */
  attachments?: ResolvedAttachments;
  /** How attachments are realized: secret ARNs, the git image, the file system. Needed only with attachments. */
  attachmentSettings?: AttachmentSettings;
  /** The account's pull-through cache: every container's image (the user's, the git init and edge helpers) is pulled through it. */
  imageCache?: ImageCache;
  /** Variables of the main container that are part of the definition (a registered role's profile, registered-role-profile.ts). */
  environment?: KeyValuePair[];
}

/** JSON with object keys sorted, so equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function render(params: TaskDefinitionParams, family: string, home?: boolean): RegisterTaskDefinitionCommandInput {
  const { size } = params;
  const gpu = size.capacity.kind === 'ec2-gpu';
  const logConfiguration = {
    logDriver: 'awslogs' as const,
    options: {
      'awslogs-group': params.logGroup,
      'awslogs-region': params.region,
      'awslogs-stream-prefix': family,
    },
  };
  const settings = params.attachmentSettings ?? { secretArnPrefix: '', gitImage: '' };
  if (params.attachments && !params.attachmentSettings) throw new Error('attachments need attachment settings (secret ARN prefix, git image)');
  const attached = renderAttachments(params.attachments, settings, { logConfiguration, ...(home ? { home: { volumeName: HOME_VOLUME, mountPath: HOME_MOUNT_PATH } } : {}) });
  return {
    family,
    // Fargate has no GPUs: GPU sizes run on the cluster's EC2 GPU capacity.
    requiresCompatibilities: [gpu ? 'EC2' : 'FARGATE'],
    // A network interface per task, on EC2 too: the same security groups apply everywhere.
    networkMode: 'awsvpc',
    cpu: String(size.task.cpu),
    memory: String(size.task.memoryMiB),
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
    executionRoleArn: params.executionRoleArn,
    taskRoleArn: params.taskRoleArn,
    containerDefinitions: [
      ...attached.initContainers.map((c) => ({ ...c, image: c.image && cachedImage(c.image, params.imageCache) })),
      {
        name: MAIN_CONTAINER,
        image: cachedImage(params.image, params.imageCache),
        essential: true,
        // The same contract as the local driver: the task's script runs with `sh -c`; the
        // script itself arrives per run as the container's command. With attachments to
        // prepare, `sh -c` first runs their prelude, which then runs the script.
        entryPoint: attached.entryPoint ?? ['sh', '-c'],
        // Without an init process `sh` is PID 1: it neither reaps orphans nor gets default
        // signal handling, so StopTask's SIGTERM would wait out the stop timeout.
        linuxParameters: { initProcessEnabled: true },
        logConfiguration,
        ...(params.environment?.length ? { environment: params.environment } : {}),
        ...(gpu ? { resourceRequirements: [{ type: 'GPU' as const, value: String(size.gpu) }] } : {}),
        ...(attached.secrets.length > 0 ? { secrets: attached.secrets } : {}),
        ...(attached.mountPoints.length > 0 ? { mountPoints: attached.mountPoints } : {}),
        ...(attached.dependsOn.length > 0 ? { dependsOn: attached.dependsOn } : {}),
      },
    ],
    ...(attached.volumes.length > 0 ? { volumes: attached.volumes } : {}),
  };
}

/**
 * The RegisterTaskDefinition request for these parameters. The family is the hash of the
 * request rendered without a name (the name, and the log prefix that repeats it, add nothing),
 * so any change to what is rendered — here or in this code — yields a new family.
 */
export function taskDefinitionInput(params: TaskDefinitionParams): RegisterTaskDefinitionCommandInput {
  const digest = createHash('sha256').update(canonicalJson(render(params, ''))).digest('hex');
  return render(params, `${FAMILY_PREFIX}${digest.slice(0, FAMILY_HASH_DIGITS)}`);
}

/** Where a workspace's home is mounted, and the name of its volume in a task definition. */
export const HOME_MOUNT_PATH = '/home/jovyan';
const HOME_VOLUME = 'home';

/**
 * What a service's definition carries beyond a job's: a service takes no RunTask overrides,
 * so its script and environment are part of the definition, with the ports the load balancer
 * forwards to and the home volume (EFS through an access point, with transit encryption and
 * IAM authorization by the task role, as the file system's policy requires).
 */
export interface ServiceContainerParams {
  /** Named by its resource and revision (service-names.ts), not by content. */
  family: string;
  script: string;
  environment: KeyValuePair[];
  /** Container ports to map; the first is the task's $PORT. */
  ports: number[];
  home?: { fileSystemId: string; accessPointId: string };
  /**
   * The edge sidecar (edge-sidecar.ts) and the route rule it applies. With it the app's ports
   * are not mapped: the load balancer reaches the sidecar's, and the app starts only once the
   * sidecar holds them.
   */
  edge?: { plan: EdgePlan; settings: EdgeSidecarSettings };
  /** The SSH agent (ssh-agent-task-parts.ts) of a workspace with `start_ssh`; the script already starts it. */
  sshAgent?: { settings: SshAgentSettings; workspace: SshAgentWorkspace };
}

/** The RegisterTaskDefinition request of a service revision: a job task's shape, plus what `service` adds. */
export function serviceTaskDefinitionInput(params: TaskDefinitionParams, service: ServiceContainerParams): RegisterTaskDefinitionCommandInput {
  const { home } = service;
  const input = render(params, service.family, home !== undefined);
  const containers = input.containerDefinitions!;
  const container = containers.find((c) => c.name === MAIN_CONTAINER)!;
  const mountPoints = [...(home ? [{ sourceVolume: HOME_VOLUME, containerPath: HOME_MOUNT_PATH, readOnly: false }] : []), ...(container.mountPoints ?? [])];
  const { edge } = service;
  const edgeContainer = edge && edgeContainerDefinition(edge.plan, { ...edge.settings, image: cachedImage(edge.settings.image, params.imageCache) }, service.ports[0]!, container.logConfiguration!);
  const dependsOn = [...(container.dependsOn ?? []), ...(edgeContainer ? [{ containerName: EDGE_CONTAINER, condition: 'HEALTHY' as const }] : [])];
  const rendered: RegisterTaskDefinitionCommandInput = {
    ...input,
    containerDefinitions: [
      ...containers.filter((c) => c !== container),
      ...(edgeContainer ? [edgeContainer] : []),
      {
        ...container,
        command: [service.script],
        environment: [...(container.environment ?? []), ...service.environment],
        ...(edgeContainer ? {} : { portMappings: [...new Set(service.ports)].map((containerPort) => ({ containerPort, protocol: 'tcp' as const })) }),
        ...(mountPoints.length > 0 ? { mountPoints } : {}),
        ...(dependsOn.length > 0 ? { dependsOn } : {}),
      },
    ],
    ...(home
      ? {
          volumes: [
            ...(input.volumes ?? []),
            {
              name: HOME_VOLUME,
              efsVolumeConfiguration: {
                fileSystemId: home.fileSystemId,
                // With an access point the root directory is the access point's; ECS wants `/` or nothing here.
                rootDirectory: '/',
                transitEncryption: 'ENABLED' as const,
                authorizationConfig: { accessPointId: home.accessPointId, iam: 'ENABLED' as const },
              },
            },
          ],
        }
      : {}),
  };
  return service.sshAgent ? withSshAgent(rendered, service.sshAgent.settings, service.sshAgent.workspace) : rendered;
}

/** The CloudWatch log stream awslogs writes a task's output to. */
export function logStreamName(family: string, taskArn: string): string {
  return `${family}/${MAIN_CONTAINER}/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`;
}

export interface EcsTaskDefinitionsOptions {
  client: ECSClient;
  executionRoleArn: string;
  /** The task role when a resource attaches none of its own. */
  taskRoleArn: string;
  logGroup: string;
  region: string;
  /** How tasks' attachments are realized (secret ARNs, the git image, the file system of shared folders). */
  attachmentSettings?: AttachmentSettings;
  /** The account's pull-through cache (image-cache.ts); without it images are pulled from where they name. */
  imageCache?: ImageCache;
  /**
   * Each resource's own roles (resource-roles.ts), granted what its definition names. Without
   * it (or for a request with no resource) every definition runs with the shared roles above.
   */
  roles?: Pick<ResourceRoles, 'ensure'>;
  /** How long a definition naming a role ECS cannot assume yet is tried again (role-propagation.ts). */
  rolePropagation?: RolePropagationOptions;
}

export interface TaskDefinitionRequest {
  /** The resource whose tasks run this definition: its own roles are used when the platform makes them. */
  resourceId?: string;
  image: string;
  size: Size;
  /** A role an admin registered and the resource attached; default the platform's task role. */
  taskRoleArn?: string;
  /** The task's attachments, with their access points and token secret resolved. */
  attachments?: ResolvedAttachments;
}

export interface ServiceTaskDefinitionRequest extends TaskDefinitionRequest {
  container: ServiceContainerParams;
}

/** A request's attachments, left out when there are none so the definition (and its hash) is what it was before attachments. */
function attachmentsOf(request: TaskDefinitionRequest): { attachments?: ResolvedAttachments } {
  const { attachments } = request;
  return attachments && Object.values(attachments).some((v) => v !== undefined) ? { attachments } : {};
}

export class EcsTaskDefinitions {
  private readonly options: EcsTaskDefinitionsOptions;
  // Family → its ARN, per process. The promise, not the value, is cached, so a burst of
  // launches for one spec makes one Describe, not a thousand.
  private readonly known = new Map<string, Promise<string>>();

  constructor(options: EcsTaskDefinitionsOptions) {
    this.options = options;
  }

  /** The `family:revision` ARN to run for this request, registering the definition only if no revision exists. */
  async ensure(request: TaskDefinitionRequest): Promise<string> {
    // Job and Dask tasks read their SATURN_TOKEN file (RunTask's environmentFiles) with the execution role.
    const params = await this.withOwnRoles(request, taskDefinitionInput, { tokenFiles: true });
    return this.ensureInput(taskDefinitionInput(params));
  }

  /**
   * The ARN of a service revision's definition, registered on the first apply of the revision;
   * a repeated apply of the same revision finds it by family.
   */
  async ensureService(request: ServiceTaskDefinitionRequest): Promise<string> {
    const render = (params: TaskDefinitionParams) => serviceTaskDefinitionInput(params, request.container);
    const params = await this.withOwnRoles(request, render, { tokenFiles: false });
    return this.ensureInput(render(params));
  }

  /**
   * The request's definition parameters, with the resource's own roles when the platform makes
   * them: the definition is rendered once with the shared roles to read what it names, the roles
   * are granted that, and the caller renders it again with them. A resource that attaches an
   * admin-registered role runs as its own task role too, which may assume the registered one,
   * and its main container's default AWS profile does (registered-role-profile.ts).
   */
  private async withOwnRoles(request: TaskDefinitionRequest, render: (params: TaskDefinitionParams) => RegisterTaskDefinitionCommandInput, options: { tokenFiles: boolean }): Promise<TaskDefinitionParams> {
    const { client: _client, roles, rolePropagation: _retry, ...defaults } = this.options;
    const params: TaskDefinitionParams = { ...defaults, ...attachmentsOf(request), image: request.image, size: request.size, taskRoleArn: request.taskRoleArn ?? defaults.taskRoleArn };
    const { resourceId, taskRoleArn: registeredRoleArn } = request;
    if (!roles || !resourceId) return params;
    const profile = registeredRoleArn ? registeredRoleProfile(registeredRoleArn, resourceId) : undefined;
    const chained: TaskDefinitionParams = profile
      ? {
          ...params,
          attachments: { ...params.attachments, configFiles: [...(params.attachments?.configFiles ?? []), profile.configFile] },
          environment: profile.environment,
        }
      : params;
    const own = await roles.ensure(resourceId, render(chained), { tokenFiles: options.tokenFiles, ...(registeredRoleArn ? { registeredRoleArn } : {}) });
    return { ...chained, executionRoleArn: own.executionRoleArn, taskRoleArn: own.taskRoleArn ?? defaults.taskRoleArn };
  }

  private ensureInput(input: RegisterTaskDefinitionCommandInput): Promise<string> {
    const family = input.family!;
    const cached = this.known.get(family);
    if (cached) return cached;
    const arn = this.describeOrRegister(family, input);
    this.known.set(family, arn);
    // A failure is not remembered: the next launch asks again.
    arn.catch(() => {
      if (this.known.get(family) === arn) this.known.delete(family);
    });
    return arn;
  }

  private async describeOrRegister(family: string, input: RegisterTaskDefinitionCommandInput): Promise<string> {
    const { client } = this.options;
    try {
      const { taskDefinition } = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
      // By family, ECS describes the latest ACTIVE revision; the hash in the name vouches for its content.
      if (taskDefinition?.taskDefinitionArn && taskDefinition.status === 'ACTIVE') return taskDefinition.taskDefinitionArn;
    } catch (error) {
      // ECS answers a family with no active revision with ClientException ("Unable to describe task definition").
      if (!isNamed(error, 'ClientException', 'InvalidParameterException')) throw error;
    }
    // Two processes may both get here; each registers an identical revision, and either one runs the same.
    const { taskDefinition } = await retryWhileRolePropagates(() => client.send(new RegisterTaskDefinitionCommand(input)), this.options.rolePropagation);
    if (!taskDefinition?.taskDefinitionArn) throw new Error(`RegisterTaskDefinition returned no ARN for ${family}`);
    return taskDefinition.taskDefinitionArn;
  }
}
