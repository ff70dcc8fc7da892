/**
 * What a Lambda function's code can send to AWS, and what its role allows, for the
 * least-privilege test.
 *
 * Code side: esbuild resolves the function's entry exactly as its bundle does; every project
 * file in that bundle is scanned for `new XxxCommand(` where XxxCommand comes from an
 * `@aws-sdk/client-*` package, and, in files that send through a signed Query client (EC2's
 * security groups, IAM's per-resource roles; see QUERY_CLIENTS), for `.call('Action'`. That is what the code can send, whether or not a given
 * request path reaches it (static reachability at file level: a file in the bundle counts).
 * DynamoDB commands are tied to the table their adapter is constructed with.
 *
 * Role side: every Allow statement of the function's role (inline and attached; managed
 * policies are refused), as (action, resource) pairs.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildSync } from 'esbuild';
import type { Stack } from 'aws-cdk-lib';
import type { PlatformFunction } from '../../../../infra/aws/platform-function.ts';
import { bundleOptions, REPO_ROOT } from '../../../../infra/aws/function-bundle.ts';
import { logicalId, type Synthesized } from './synth.ts';

/** IAM prefix of each SDK client package (action name = command name without `Command`). */
const SERVICE_PREFIX: Record<string, string> = {
  'client-dynamodb': 'dynamodb',
  'client-ecs': 'ecs',
  'client-scheduler': 'scheduler',
  'client-secrets-manager': 'secretsmanager',
  'client-eventbridge': 'events',
  'client-efs': 'elasticfilesystem',
  'client-cloudwatch-logs': 'logs',
  'client-cloudwatch': 'cloudwatch',
  'client-iam': 'iam',
  'client-sqs': 'sqs',
  'client-elastic-load-balancing-v2': 'elasticloadbalancing',
  'client-cognito-identity-provider': 'cognito-idp',
  'client-servicediscovery': 'servicediscovery',
  'client-s3': 's3',
};

/** Commands whose IAM action is not simply their name. */
const ACTION_OF_COMMAND: Record<string, string> = {};

/**
 * Actions a command is also authorized as: RunTask, CreateService, CreateTargetGroup, CreateRule
 * and CreateAccessPoint with tags are also tag actions on the new resource, and a command that hands a role to a service (a task definition's roles, a schedule's
 * role) is iam:PassRole on it (whose resources the PassRole test below checks). Cloud Map's
 * instance calls are also the Route 53 calls it makes on the caller's behalf.
 */
const ALSO_AUTHORIZED_AS: Record<string, string[]> = {
  'ecs:RunTask': ['ecs:TagResource', 'iam:PassRole'],
  'ecs:RegisterTaskDefinition': ['iam:PassRole'],
  'ecs:CreateService': ['ecs:TagResource'],
  'elasticloadbalancing:CreateTargetGroup': ['elasticloadbalancing:AddTags'],
  'elasticloadbalancing:CreateRule': ['elasticloadbalancing:AddTags'],
  'elasticfilesystem:CreateAccessPoint': ['elasticfilesystem:TagResource'],
  'scheduler:CreateSchedule': ['iam:PassRole'],
  'scheduler:UpdateSchedule': ['iam:PassRole'],
  // Creating a secret with tags is also authorized as tagging it.
  'secretsmanager:CreateSecret': ['secretsmanager:TagResource'],
  // Writing an object with tags is also authorized as tagging it.
  's3:PutObject': ['s3:PutObjectTagging'],
  // Creating a security group with tags is also authorized as tagging it.
  'ec2:CreateSecurityGroup': ['ec2:CreateTags'],
  // Cloud Map writes and removes an instance's DNS records (and would its health check) with the
  // caller's permissions: the Route 53 actions it lists as required for these calls.
  'servicediscovery:RegisterInstance': ['route53:ChangeResourceRecordSets', 'route53:CreateHealthCheck', 'route53:GetHealthCheck'],
  'servicediscovery:DeregisterInstance': ['route53:ChangeResourceRecordSets', 'route53:GetHealthCheck', 'route53:DeleteHealthCheck', 'route53:UpdateHealthCheck'],
};

/**
 * Which table each DynamoDB adapter is built with (shared/adapters/dynamodb/dynamodb-platform.ts
 * passes EVENTS_TABLE to the event store, VIEWS_TABLE to the views and checkpoints). A new
 * adapter must be added here: the test refuses to guess its table.
 */
export const DYNAMODB_TABLE_OF_FILE: Record<string, 'events' | 'views'> = {
  'shared/adapters/dynamodb/dynamodb-event-store.ts': 'events',
  'shared/adapters/dynamodb/dynamodb-recipe-views.ts': 'views',
  'shared/adapters/dynamodb/dynamodb-checkpoints.ts': 'views',
  'shared/adapters/dynamodb/dynamodb-run-views.ts': 'views',
  'shared/adapters/dynamodb/dynamodb-catalog-views.ts': 'views',
  'shared/adapters/dynamodb/dynamodb-token-views.ts': 'views',
  'shared/adapters/dynamodb/dynamodb-principal-views.ts': 'views',
  'shared/adapters/dynamodb/dynamodb-usage-views.ts': 'views',
  'shared/adapters/dynamodb/dynamodb-deferrals.ts': 'views',
  // Called by the views adapters only, with their table.
  'shared/adapters/dynamodb/clear-partition.ts': 'views',
  'shared/adapters/dynamodb/put-if-newer.ts': 'views',
};

export interface SentCommand {
  file: string;
  command: string;
  /** `service:Action` */
  action: string;
  /** For DynamoDB: the table it goes to. */
  table?: 'events' | 'views';
}

/** The project files (relative to the repository root) an entry's bundle is made of, its lazily loaded chunks included. */
export function bundledSourceFiles(entry: string): string[] {
  const result = buildSync({ ...bundleOptions(join(REPO_ROOT, entry), join(REPO_ROOT, 'cdk.out', 'least-privilege')), write: false, logLevel: 'silent' });
  return Object.keys(result.metafile.inputs)
    .filter((file) => !file.includes('node_modules/'))
    .map((file) => relative(REPO_ROOT, join(REPO_ROOT, file)))
    .sort();
}

const IMPORT = /import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+['"]@aws-sdk\/(client-[a-z0-9-]+)['"]/g;
const NEW_COMMAND = /new\s+([A-Za-z0-9_$]+)\s*\(/g;
/** Files that send through a signed Query client (shared/adapters/aws/aws-query-client.ts), by the import that says which service. */
const QUERY_CLIENTS: Array<{ imports: RegExp; prefix: string }> = [
  { imports: /from\s+['"]\.\/ec2-query-client\.ts['"]/, prefix: 'ec2' },
  // The IAM calls of the per-resource roles (shared/adapters/aws/iam/resource-roles.ts).
  { imports: /from\s+['"]\.\/resource-role-policies\.ts['"]/, prefix: 'iam' },
];
const QUERY_CALL = /\.call\(\s*'([A-Z][A-Za-z0-9]+)'/g;

/** The SDK commands one source file sends. */
export function commandsSentBy(file: string, source: string, tables: Record<string, 'events' | 'views'> = DYNAMODB_TABLE_OF_FILE): SentCommand[] {
  const imported = new Map<string, { name: string; client: string }>();
  for (const match of source.matchAll(IMPORT)) {
    for (const part of match[1]!.split(',')) {
      const spec = part.trim().replace(/^type\s+/, '');
      if (!spec) continue;
      const [name, alias] = spec.split(/\s+as\s+/).map((s) => s.trim()) as [string, string | undefined];
      if (name.endsWith('Command')) imported.set(alias ?? name, { name, client: match[2]! });
    }
  }
  const sent: SentCommand[] = [];
  for (const match of source.matchAll(NEW_COMMAND)) {
    const use = imported.get(match[1]!);
    if (!use) continue;
    const prefix = SERVICE_PREFIX[use.client];
    if (!prefix) throw new Error(`${file}: no IAM prefix known for @aws-sdk/${use.client}; add it to SERVICE_PREFIX`);
    const action = ACTION_OF_COMMAND[use.name] ?? `${prefix}:${use.name.replace(/Command$/, '')}`;
    const command: SentCommand = { file, command: use.name, action };
    if (prefix === 'dynamodb') {
      const table = tables[file];
      if (!table) throw new Error(`${file} sends ${use.name}: say which table it is built with in DYNAMODB_TABLE_OF_FILE`);
      command.table = table;
    }
    sent.push(command);
  }
  for (const { imports, prefix } of QUERY_CLIENTS) {
    if (imports.test(source)) for (const match of source.matchAll(QUERY_CALL)) sent.push({ file, command: match[1]!, action: `${prefix}:${match[1]!}` });
  }
  return sent;
}

export function commandsSentByEntry(entry: string, tables: Record<string, 'events' | 'views'> = DYNAMODB_TABLE_OF_FILE): SentCommand[] {
  return bundledSourceFiles(entry).flatMap((file) => commandsSentBy(file, readFileSync(join(REPO_ROOT, file), 'utf8'), tables));
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

type Resources = Synthesized['json']['Resources'];

/**
 * Every statement of a role's policies. Managed policies are refused (nothing may come in
 * unseen) except those named in `allowManaged`, for roles CDK writes itself.
 */
export function roleStatements(resources: Resources, roleId: string, allowManaged: readonly string[] = []): Statement[] {
  const role = resources[roleId];
  if (!role || role.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
  const managed = (role.Properties?.ManagedPolicyArns as unknown[] | undefined) ?? [];
  // A literal ARN, or one joined with the partition (`Fn::Join`).
  const unexpected = managed.filter((arn) => !allowManaged.some((name) => JSON.stringify(arn).includes(`:iam::aws:policy/${name}"`)));
  if (unexpected.length > 0) throw new Error(`${roleId} has managed policies: ${JSON.stringify(unexpected)}`);
  const statements: Statement[] = [];
  for (const policy of (role.Properties?.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }> | undefined) ?? []) {
    statements.push(...policy.PolicyDocument.Statement);
  }
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = (resource.Properties?.Roles as Array<{ Ref?: string }> | undefined) ?? [];
    if (!roles.some((r) => r.Ref === roleId)) continue;
    statements.push(...(resource.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
  }
  return statements;
}

export interface Grant {
  action: string;
  /** A known resource's label (`events`, `views`, `stream`, `own-logs`, `on-failure-queue`, `*`) or its template JSON. */
  resource: string;
}

export function grantsOf(statements: Statement[], label: (resource: unknown) => string): Grant[] {
  const grants: Grant[] = [];
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') continue;
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const action of actions) for (const resource of resources) grants.push({ action, resource: label(resource) });
  }
  return grants;
}

/**
 * What the Lambda service itself does with the function's role, not its code: these are
 * expected in the role on top of the code's commands, each only where the template shows
 * the reason (its own log group, active tracing, a stream event source, an on-failure queue).
 */
export function serviceGrants(synth: Synthesized, fn: PlatformFunction): { grants: Grant[]; label: (resource: unknown) => string } {
  const { stack, json } = synth;
  const fnId = logicalId(fn.fn);
  const labels = new Map<string, string>();
  const put = (value: unknown, name: string) => labels.set(JSON.stringify(value), name);
  const events = synth.stack.eventStore.events;
  const views = synth.stack.eventStore.views;
  put(resolve(stack, events.tableArn), 'events');
  put(resolve(stack, views.tableArn), 'views');
  put(resolve(stack, events.tableStreamArn!), 'stream');
  put(resolve(stack, fn.logGroup.logGroupArn), 'own-logs');
  put('*', '*');

  const grants: Grant[] = [
    { action: 'logs:CreateLogStream', resource: 'own-logs' },
    { action: 'logs:PutLogEvents', resource: 'own-logs' },
  ];
  const props = json.Resources[fnId]!.Properties as { TracingConfig?: { Mode?: string } };
  if (props.TracingConfig?.Mode === 'Active') {
    grants.push({ action: 'xray:PutTraceSegments', resource: '*' }, { action: 'xray:PutTelemetryRecords', resource: '*' });
  }
  for (const [id, resource] of Object.entries(json.Resources)) {
    if (resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const p = resource.Properties as { FunctionName: { Ref: string }; EventSourceArn: unknown; DestinationConfig?: { OnFailure?: { Destination: unknown } } };
    if (p.FunctionName.Ref !== fnId) continue;
    if (labels.get(JSON.stringify(p.EventSourceArn)) !== 'stream') throw new Error(`${id}: an event source this test does not know`);
    grants.push(
      { action: 'dynamodb:DescribeStream', resource: 'stream' },
      { action: 'dynamodb:GetRecords', resource: 'stream' },
      { action: 'dynamodb:GetShardIterator', resource: 'stream' },
      // No resource-level permissions for ListStreams (CDK grantStreamRead).
      { action: 'dynamodb:ListStreams', resource: '*' },
    );
    const destination = p.DestinationConfig?.OnFailure?.Destination;
    if (destination) {
      put(destination, 'on-failure-queue');
      grants.push(
        { action: 'sqs:SendMessage', resource: 'on-failure-queue' },
        { action: 'sqs:GetQueueAttributes', resource: 'on-failure-queue' },
        { action: 'sqs:GetQueueUrl', resource: 'on-failure-queue' },
      );
    }
  }
  // An asynchronously invoked function's on-failure destination: Lambda sends with the function's role.
  for (const resource of Object.values(json.Resources)) {
    if (resource.Type !== 'AWS::Lambda::EventInvokeConfig') continue;
    const p = resource.Properties as { FunctionName: { Ref: string }; DestinationConfig?: { OnFailure?: { Destination: unknown } } };
    const destination = p.DestinationConfig?.OnFailure?.Destination;
    if (p.FunctionName.Ref !== fnId || !destination) continue;
    // The stream's on-failure queue may be the same one.
    const queue = labels.get(JSON.stringify(destination)) ?? 'failed-invocations-queue';
    put(destination, queue);
    grants.push(
      { action: 'sqs:SendMessage', resource: queue },
      { action: 'sqs:GetQueueAttributes', resource: queue },
      { action: 'sqs:GetQueueUrl', resource: queue },
    );
  }
  return { grants, label: (resource) => labels.get(JSON.stringify(resource)) ?? JSON.stringify(resource) };
}

function resolve(stack: Stack, value: string): unknown {
  return stack.resolve(value);
}

const key = (g: Grant) => `${g.action} on ${g.resource}`;

export interface LeastPrivilegeReport {
  /** Sent by the code (or needed by the Lambda service), not allowed by the role. */
  missing: string[];
  /** Allowed by the role, neither sent by the code nor needed by the Lambda service. */
  excess: string[];
  sent: SentCommand[];
}

/**
 * Compares a function's code with its synthesized role, both ways. DynamoDB commands must be
 * allowed on their own table; other commands by action (their resources are checked by the
 * PassRole and Secrets Manager tests).
 */
export function checkLeastPrivilege(synth: Synthesized, fn: PlatformFunction, sent = commandsSentByEntry(fn.entry)): LeastPrivilegeReport {
  const { grants: service, label } = serviceGrants(synth, fn);
  const allowed = grantsOf(roleStatements(synth.json.Resources, logicalId(fn.role)), label);
  const neededExact = new Set([...sent.filter((c) => c.table).map((c) => key({ action: c.action, resource: c.table! })), ...service.map(key)]);
  const neededAnywhere = new Set(sent.filter((c) => !c.table).flatMap((c) => [c.action, ...(ALSO_AUTHORIZED_AS[c.action] ?? [])]));

  const allowedKeys = new Set(allowed.map(key));
  const allowedActions = new Set(allowed.map((g) => g.action));
  const missing = [...[...neededExact].filter((k) => !allowedKeys.has(k)), ...[...neededAnywhere].filter((a) => !allowedActions.has(a)).map((a) => `${a} (any resource)`)];
  const excess = allowed.filter((g) => !neededExact.has(key(g)) && !neededAnywhere.has(g.action)).map(key);
  return { missing: [...new Set(missing)].sort(), excess: [...new Set(excess)].sort(), sent };
}
