/**
 * Least privilege, proven against the code: for every platform Lambda function in the stack,
 * every AWS SDK command its bundle can send is allowed by its synthesized role (DynamoDB: on
 * the right table), and its role allows nothing else except what the Lambda service needs on
 * its behalf (its log group, X-Ray, its stream and on-failure queue). Then the rules no role
 * may break: iam:PassRole only for the roles tasks and schedules need, Secrets Manager only
 * under the platform prefix.
 */
import { describe, expect, it } from 'vitest';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PLATFORM_SECRET_PREFIX } from '../../../infra/aws/config.ts';
import { RESOURCE_ROLE_PATH } from '../../../shared/adapters/aws/iam/resource-roles.ts';
import { PlatformFunction } from '../../../infra/aws/platform-function.ts';
import { buildCassini, logicalId, synthesize, type Synthesized } from './support/synth.ts';
import { checkLeastPrivilege, commandsSentBy, commandsSentByEntry, DYNAMODB_TABLE_OF_FILE, roleStatements } from './support/least-privilege.ts';

const FIXTURE = 'test/infra/aws/fixtures/deletes-items.ts';

const synth = synthesize(buildCassini());
const functions = synth.stack.node.findAll().filter((c): c is PlatformFunction => c instanceof PlatformFunction);

/** Every role's statements. CDK's own custom resource providers carry the basic Lambda policy (logs only). */
function statementsEverywhere(s: Synthesized) {
  return Object.entries(s.json.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .flatMap(([id]) => roleStatements(s.json.Resources, id, ['service-role/AWSLambdaBasicExecutionRole']).map((statement) => ({ role: id, statement })));
}

function actionsOf(statement: { Action: string | string[] }): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

describe('least privilege of the platform functions', () => {
  it('finds every platform function of the stack (API, authorizer, consumers, schedule target, task state, reconciler)', () => {
    expect(functions.map((f) => f.entry).sort()).toEqual([
      'functions/api/handler.ts',
      'functions/authorizer/handler.ts',
      'functions/reactor/handler.ts',
      'functions/reconciler/handler.ts',
      'functions/schedule-target/handler.ts',
      'functions/task-state/handler.ts',
    ]);
  });

  it.each(functions.map((f) => [f.entry, f] as const))('%s: its role allows exactly what its code sends', (_entry, fn) => {
    const report = checkLeastPrivilege(synth, fn);
    expect({ missing: report.missing, excess: report.excess }).toEqual({ missing: [], excess: [] });
  });

  it('reads what the DynamoDB adapters send from the code itself', () => {
    const sent = commandsSentByEntry('functions/api/handler.ts');
    const actions = new Set(sent.filter((c) => c.table).map((c) => `${c.action} on ${c.table}`));
    expect(actions).toEqual(
      new Set([
        'dynamodb:Query on events',
        'dynamodb:PutItem on events',
        'dynamodb:Scan on events',
        'dynamodb:Query on views',
        'dynamodb:PutItem on views',
        'dynamodb:GetItem on views',
        'dynamodb:BatchWriteItem on views',
      ]),
    );
    // Beside the tables, the API reads task logs (shared/adapters/aws/logs/cloudwatch-task-logs.ts),
    // describes Dask clusters from their tasks (shared/adapters/aws/dask/ecs-dask-inspector.ts) and
    // writes secret values without ever reading one (shared/adapters/aws/secrets/secrets-manager-store.ts).
    expect(new Set(sent.filter((c) => !c.table).map((c) => c.action))).toEqual(
      new Set([
        'ecs:DescribeTasks',
        'ecs:ListTasks',
        'logs:GetLogEvents',
        'secretsmanager:CreateSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:RestoreSecret',
        'secretsmanager:DeleteSecret',
      ]),
    );
    expect(commandsSentByEntry('functions/authorizer/handler.ts')).toEqual([]);
  });

  it('understands aliased imports and ignores type-only uses', () => {
    const source = [
      "import { QueryCommand as Q, type PutItemCommandInput, GetItemCommand } from '@aws-sdk/client-dynamodb';",
      "import { RunTaskCommand } from '@aws-sdk/client-ecs';",
      'const input: PutItemCommandInput = x; send(new Q({})); send(new RunTaskCommand({}));',
    ].join('\n');
    expect(commandsSentBy('shared/adapters/dynamodb/dynamodb-event-store.ts', source).map((c) => c.action)).toEqual(['dynamodb:Query', 'ecs:RunTask']);
  });

  it('fails when the code sends a command the role does not allow', () => {
    const app = buildCassini();
    const fn = new PlatformFunction(app.stack, 'Deleter', { entry: FIXTURE, description: 'test' });
    app.stack.eventStore.connect(fn);
    const sent = commandsSentByEntry(FIXTURE, { ...DYNAMODB_TABLE_OF_FILE, [FIXTURE]: 'events' });
    expect(checkLeastPrivilege(synthesize(app), fn, sent).missing).toEqual(['dynamodb:DeleteItem on events']);
  });

  it('refuses to guess the table of a DynamoDB adapter it does not know', () => {
    expect(() => commandsSentByEntry(FIXTURE)).toThrow(/deletes-items\.ts sends DeleteItemCommand: say which table/);
  });

  it('fails when the role allows an action the code never sends', () => {
    const app = buildCassini();
    app.stack.reactor.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:DeleteItem'], resources: [app.stack.eventStore.views.tableArn] }));
    const report = checkLeastPrivilege(synthesize(app), app.stack.reactor);
    expect(report.excess).toEqual(['dynamodb:DeleteItem on views']);
  });

  it('gives no function a managed policy, a wildcard action, or DynamoDB beyond the two tables', () => {
    for (const fn of functions) {
      const id = logicalId(fn.role);
      expect(synth.json.Resources[id]!.Properties!.ManagedPolicyArns, fn.entry).toBeUndefined();
      for (const statement of roleStatements(synth.json.Resources, id)) {
        for (const action of actionsOf(statement)) expect(action, fn.entry).not.toMatch(/\*/);
      }
    }
  });
});

describe('roles handed to AWS services and secrets', () => {
  // The stack as wired: the reactor and the reconciler pass task roles, the reactor the scheduler role.
  const s = synth;
  const all = statementsEverywhere(s);
  const stack = s.stack;

  it('allows iam:PassRole only on the execution role, the platform\'s own task roles and the scheduler role, each to its service', () => {
    // Roles an admin registered are never passed: a resource's own task role assumes them (registered-role-profile.ts).
    const passing = all.filter(({ statement }) => actionsOf(statement).some((a) => a === 'iam:PassRole' || a === 'iam:*' || a === '*'));
    expect(passing.length).toBeGreaterThan(0);
    const allowed = [
      { resource: stack.resolve(stack.compute.executionRole.roleArn), service: 'ecs-tasks.amazonaws.com' },
      { resource: 'workload', service: 'ecs-tasks.amazonaws.com' },
      { resource: stack.resolve(stack.scheduling.schedulerRole.roleArn), service: 'scheduler.amazonaws.com' },
    ];
    for (const { statement } of passing) {
      expect(actionsOf(statement)).toEqual(['iam:PassRole']);
      const service = (statement.Condition as { StringEquals?: Record<string, string> } | undefined)?.StringEquals?.['iam:PassedToService'];
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const resource of resources) {
        const isWorkload = JSON.stringify(resource).includes(`:role${RESOURCE_ROLE_PATH}*`);
        const match = allowed.find((a) => (a.resource === 'workload' ? isWorkload : JSON.stringify(a.resource) === JSON.stringify(resource)));
        expect(match, JSON.stringify(resource)).toBeDefined();
        expect(service).toBe(match!.service);
      }
    }
  });

  it('allows Secrets Manager only under the platform prefix, and no role of the stack to read a value', () => {
    const secretStatements = all.filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('secretsmanager:')));
    // The API writes them and cannot read them; the launching functions describe them (full ARNs)
    // and the reactor keeps services' token secrets. Values are read by ECS with each resource's
    // own execution role, made at run time for the secrets its definition names (resource-roles.ts).
    const roles = [stack.api.handler.role, stack.reactor.role, stack.reconciler.role].map(logicalId);
    expect([...new Set(secretStatements.map((s) => s.role))].sort()).toEqual(roles.sort());
    for (const { role, statement } of secretStatements) {
      expect(actionsOf(statement), role).not.toContain('secretsmanager:GetSecretValue');
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const resource of resources) expect(JSON.stringify(resource)).toMatch(new RegExp(`:secret:${PLATFORM_SECRET_PREFIX}(_tasks/|\\*/_dask-tls-)?\\*"`));
    }
  });

  it('lets functions create and delete secrets only under the tasks\' token folder and as Dask clusters\' credentials, besides the API\'s user secrets', () => {
    const writers = all.filter(({ role, statement }) => role !== logicalId(stack.api.handler.role) && actionsOf(statement).some((a) => /^secretsmanager:(Create|Delete|Put|Restore)/.test(a)));
    expect([...new Set(writers.map((w) => w.role))].sort()).toEqual([logicalId(stack.reactor.role), logicalId(stack.reconciler.role)].sort());
    for (const { role, statement } of writers) {
      // Services' token secrets are the reactor's alone; Dask credentials `<prefix><owner>/_dask-tls-*`, a name no catalog secret has, both runners'.
      const folders = role === logicalId(stack.reactor.role) ? '(_tasks/|\\*/_dask-tls-)' : '\\*/_dask-tls-';
      expect(JSON.stringify(statement.Resource)).toMatch(new RegExp(`:secret:${PLATFORM_SECRET_PREFIX}${folders}\\*"`));
      expect(actionsOf(statement)).not.toContain('secretsmanager:PutSecretValue');
    }
  });

  it('lets the execution role read only the token files of the tasks bucket', () => {
    const reads = all.filter(({ statement }) => actionsOf(statement).includes('s3:GetObject'));
    expect(reads.map((r) => r.role)).toEqual([logicalId(stack.compute.executionRole)]);
    expect(JSON.stringify(reads[0]!.statement.Resource)).toContain('/tokens/*');
  });
});

describe('the roles the platform makes per resource', () => {
  const stack = synth.stack;
  const all = statementsEverywhere(synth);
  const boundaries = [stack.resourceRoles.taskRoleBoundary, stack.resourceRoles.executionRoleBoundary].map((b) => stack.resolve(b.managedPolicyArn));
  const platformRoles = (resource: unknown) => /:role\/cassini-workloads\/platform\/cassini-(task|exec)-\*"?$/.test(JSON.stringify(resource).replace(/"\]\]\}$/, ''));

  it('lets only the launching functions touch IAM, and only with CreateRole, PutRolePolicy, DeleteRolePolicy, DeleteRole and PassRole', () => {
    const iamStatements = all.filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('iam:') || a === '*'));
    const writers = iamStatements.filter(({ statement }) => actionsOf(statement).some((a) => a !== 'iam:PassRole'));
    expect([...new Set(writers.map((w) => w.role))].sort()).toEqual([stack.reactor.role, stack.reconciler.role].map(logicalId).sort());
    const actions = new Set(writers.flatMap(({ statement }) => actionsOf(statement)));
    // Neither PutRolePermissionsBoundary nor DeleteRolePermissionsBoundary: a role's boundary, once set, stays;
    // nor AttachRolePolicy: no managed policy (say AdministratorAccess) can be attached.
    expect([...actions].sort()).toEqual(['iam:CreateRole', 'iam:DeleteRole', 'iam:DeleteRolePolicy', 'iam:PutRolePolicy']);
  });

  it('creates and writes roles only under the platform path, by name, and only with one of the platform boundaries', () => {
    // "Permissions boundaries for IAM entities" (IAM User Guide): a delegated administrator may
    // create roles only when the request sets the boundary; iam:PermissionsBoundary is the boundary
    // of the role being created or changed ("Actions, resources, and condition keys for AWS
    // Identity and Access Management", Service Authorization Reference: CreateRole, PutRolePolicy
    // and DeleteRolePolicy take it). Without the condition the function could make a role without
    // a ceiling and hand it to a task.
    for (const fn of [stack.reactor, stack.reconciler]) {
      const statements = roleStatements(synth.json.Resources, logicalId(fn.role)).filter((st) => actionsOf(st).some((a) => a.startsWith('iam:') && a !== 'iam:PassRole'));
      for (const st of statements) {
        const resources = [st.Resource].flat();
        expect(resources.length, fn.entry).toBe(2);
        for (const resource of resources) expect(platformRoles(resource), JSON.stringify(resource)).toBe(true);
        if (actionsOf(st).some((a) => a !== 'iam:DeleteRole')) {
          expect(actionsOf(st).sort()).toEqual(['iam:CreateRole', 'iam:DeleteRolePolicy', 'iam:PutRolePolicy']);
          expect(st.Condition).toEqual({ StringEquals: { 'iam:PermissionsBoundary': boundaries } });
        } else {
          expect(actionsOf(st)).toEqual(['iam:DeleteRole']);
        }
      }
      expect(statements.length, fn.entry).toBe(2);
    }
  });

  it('names per-resource roles so that no admin-registered or stack role can be rewritten or deleted', () => {
    // The default task role sits beside them, under the platform path, but CDK names it: it matches neither name pattern.
    const defaultRole = synth.json.Resources[logicalId(stack.compute.defaultTaskRole)]!.Properties as { Path: string; RoleName?: string };
    expect(defaultRole.Path).toBe('/cassini-workloads/platform/');
    expect(defaultRole.RoleName).toBeUndefined();
    expect(stack.resourceRoles.roleArns().every((arn) => /cassini-(task|exec)-\*$/.test(JSON.stringify(stack.resolve(arn)).replace(/"\]\]\}$/, '')))).toBe(true);
  });
});
