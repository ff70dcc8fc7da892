/**
 * The ceiling of the roles the platform makes per resource at run time
 * (shared/adapters/aws/iam/resource-roles.ts): each resource's execution role reads only the
 * secrets its task definition names, and its task role mounts only its own access points. The
 * launching functions write those roles' policies, so what stops them (or code that takes them
 * over) from making a role that can do more is here:
 *
 * - Two permissions boundaries, one per kind of role. A boundary caps what identity policies
 *   can grant ("Permissions boundaries for IAM entities", IAM User Guide): whatever a role's
 *   inline policy says, a task role can at most mount the file system through an access point,
 *   assume a role registered under WORKLOAD_ROLE_PATH and open ECS Exec channels, an execution
 *   role at most read platform secrets, pull from this
 *   account's registry, write the task log group and read token files.
 * - `grantManageRoles`: CreateRole, PutRolePolicy and DeleteRolePolicy only on roles named
 *   `cassini-task-*` / `cassini-exec-*` under RESOURCE_ROLE_PATH, and only with one of the two
 *   boundaries (`iam:PermissionsBoundary`); DeleteRole on those names. No PutRolePermissionsBoundary,
 *   DeleteRolePermissionsBoundary or AttachRolePolicy: a boundary once set stays, and no managed
 *   policy can be attached. Passing them to ECS is Compute's `grantPassTaskRoles`.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RESOURCE_ROLE_PATH } from '../../../shared/adapters/aws/iam/resource-roles.ts';
import { acknowledgeGrantedWildcard, acknowledgeWildcardResource } from '../nag.ts';
import { platformSecretsArn, workloadRolesArn } from './compute.ts';
import { TOKEN_FILE_PREFIX } from './storage.ts';

/** The names the platform gives its per-resource roles (resource-roles.ts). */
export const RESOURCE_ROLE_NAMES = ['cassini-task-*', 'cassini-exec-*'] as const;

export interface ResourceRolesProps {
  fileSystem: efs.IFileSystem;
  /** ECS Exec sessions' log group (the task role writes a session's stream). */
  execLogs: logs.ILogGroup;
  /** Tasks' output (the execution role writes it). */
  taskLogs: logs.ILogGroup;
  /** Job tasks' token files (the execution role reads `tokens/*`). */
  tasksBucket: s3.IBucket;
}

export class ResourceRoles extends Construct {
  readonly taskRoleBoundary: iam.ManagedPolicy;
  readonly executionRoleBoundary: iam.ManagedPolicy;
  private readonly execLogs: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: ResourceRolesProps) {
    super(scope, id);
    this.execLogs = props.execLogs;
    const stack = Stack.of(this);
    const execStreams = `${props.execLogs.logGroupArn}:log-stream:*`;
    this.taskRoleBoundary = new iam.ManagedPolicy(this, 'TaskRoleBoundary', {
      description: 'Cassini: the most a per-resource task role can ever do (a permissions boundary)',
      statements: [
        new iam.PolicyStatement({
          sid: 'MountThroughAccessPointsOnly',
          actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
          resources: [props.fileSystem.fileSystemArn],
          conditions: { Null: { 'elasticfilesystem:AccessPointArn': 'false' } },
        }),
        new iam.PolicyStatement({
          sid: 'ExecChannels',
          actions: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel', 'logs:DescribeLogGroups'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({ sid: 'ExecSessionLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [execStreams] }),
        // The role an admin registered and the resource attaches (registered-role-profile.ts); registered roles live under WORKLOAD_ROLE_PATH.
        new iam.PolicyStatement({ sid: 'AssumeRegisteredRoles', actions: ['sts:AssumeRole'], resources: [workloadRolesArn(this)] }),
      ],
    });
    const repositories = stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' });
    const tokenFiles = props.tasksBucket.arnForObjects(`${TOKEN_FILE_PREFIX}*`);
    this.executionRoleBoundary = new iam.ManagedPolicy(this, 'ExecutionRoleBoundary', {
      description: 'Cassini: the most a per-resource execution role can ever do (a permissions boundary)',
      statements: [
        new iam.PolicyStatement({ sid: 'PlatformSecretsOnly', actions: ['secretsmanager:GetSecretValue'], resources: [platformSecretsArn(this)] }),
        new iam.PolicyStatement({ sid: 'RegistryLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'PullFromThisAccount',
          actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
          resources: [repositories],
        }),
        new iam.PolicyStatement({ sid: 'WriteTaskLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [props.taskLogs.logGroupArn] }),
        new iam.PolicyStatement({ sid: 'ReadTokenFiles', actions: ['s3:GetObject'], resources: [tokenFiles] }),
        new iam.PolicyStatement({ sid: 'LocateTokenBucket', actions: ['s3:GetBucketLocation'], resources: [props.tasksBucket.bucketArn] }),
      ],
    });
    const reason = 'A permissions boundary grants nothing: it is the ceiling of the roles the platform makes per resource, whose own policies name exact access points, secrets, repositories and log groups.';
    for (const [boundary, wildcards] of [
      [this.taskRoleBoundary, ['*', execStreams, workloadRolesArn(this)]],
      [this.executionRoleBoundary, ['*', platformSecretsArn(this), repositories, tokenFiles]],
    ] as const) {
      for (const resource of wildcards) acknowledgeWildcardResource(boundary, resource, reason);
    }
  }

  /** The per-resource roles' ARNs: `role/cassini-workloads/platform/cassini-task-*` and `…/cassini-exec-*`. */
  roleArns(): string[] {
    return RESOURCE_ROLE_NAMES.map((name) => Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${RESOURCE_ROLE_PATH.replace(/^\//, '')}${name}`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }));
  }

  /**
   * Lets `grantee` make, rewrite and delete the per-resource roles: create and write policies only
   * with one of the two boundaries (`iam:PermissionsBoundary`, "IAM condition context keys":
   * the boundary of the role being created or changed), delete only those names.
   */
  grantManageRoles(grantee: iam.IGrantable): void {
    const roles = this.roleArns();
    const withBoundary = { StringEquals: { 'iam:PermissionsBoundary': [this.taskRoleBoundary.managedPolicyArn, this.executionRoleBoundary.managedPolicyArn] } };
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'], resources: roles, conditions: withBoundary }));
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['iam:DeleteRole'], resources: roles }));
    for (const role of roles) {
      acknowledgeGrantedWildcard(grantee, role, `Each resource gets its own roles at run time (${RESOURCE_ROLE_NAMES.join(', ')} under ${RESOURCE_ROLE_PATH}); creating and writing them requires the platform's permissions boundary.`);
    }
  }

  /** What the launching functions need to make the roles (resourceRolesFromEnv reads these). */
  environment(): Record<string, string> {
    return {
      TASK_ROLE_BOUNDARY_ARN: this.taskRoleBoundary.managedPolicyArn,
      EXECUTION_ROLE_BOUNDARY_ARN: this.executionRoleBoundary.managedPolicyArn,
      EXEC_LOG_GROUP: this.execLogs.logGroupName,
    };
  }
}
