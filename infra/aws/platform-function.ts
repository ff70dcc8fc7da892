/**
 * Every Lambda function of the platform, built the same way: Node.js 22 on arm64, active X-Ray
 * tracing, JSON logs into a log group of its own with a retention, and an ESM bundle made by
 * the locally installed esbuild (no Docker). Its role starts empty except for writing its own
 * logs (no AWSLambdaBasicExecutionRole): whatever else it may do is granted explicitly, and
 * test/infra/aws/least-privilege.test.ts checks that against what its code sends. Handlers
 * log and emit metrics through functions/observability.ts (Powertools: JSON lines, EMF).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: entries are given relative to it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Modules the bundles replace: the SDK's default credential chain by the environment alone,
 * which is where Lambda puts a function's credentials (functions/lambda-credentials.ts).
 */
export const BUNDLE_ALIASES: Record<string, string> = {
  '@aws-sdk/credential-provider-node': join(REPO_ROOT, 'functions/lambda-credentials.ts'),
};

/** The bundling every function shares (exported so the bundle test builds exactly this). */
export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  sourceMap: true,
  // Stack traces map to file and line without shipping the sources a second time.
  sourcesContent: false,
  // Prefer ESM builds of dependencies; CommonJS ones inside the ESM bundle still call
  // `require` for Node built-ins, so the banner gives them one.
  mainFields: ['module', 'main'],
  banner: "import { createRequire as cassiniCreateRequire } from 'node:module'; const require = cassiniCreateRequire(import.meta.url);",
  // The AWS SDK is bundled too, not taken from the runtime: its ESM build, tree-shaken to the
  // clients and commands a function imports and minified, loads in well under half the time
  // of the runtime's copy (hundreds of files resolved and compiled one by one; measured by
  // `npm run bench -- --only lambdas`), for about 350 KB more per function. It also runs the
  // lockfile's SDK version rather than whichever the runtime ships.
  externalModules: [],
  esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([module, file]) => [`--alias:${module}`, file])),
  forceDockerBundling: false,
};

export interface PlatformFunctionProps {
  /** The handler file, relative to the repository root, e.g. `functions/api/handler.ts`; it exports `handler`. */
  entry: string;
  description: string;
  environment?: Record<string, string>;
  /** @default 10 seconds */
  timeout?: Duration;
  /** @default 512 MiB */
  memorySize?: number;
  /** @default one month */
  logRetention?: logs.RetentionDays;
}

export class PlatformFunction extends Construct implements iam.IGrantable {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The handler file, relative to the repository root. */
  readonly entry: string;
  readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    this.entry = props.entry;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (Lambda)`,
    });
    this.logGroup.grantWrite(this.role);
    this.grantPrincipal = this.role;

    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      logGroup: this.logGroup,
      role: this.role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: BUNDLING,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions.',
    });
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The platform targets nodejs22.x on purpose (DESIGN.md: the code must run on the Node.js 20 of the build machines and on Lambda); moving to nodejs24.x is a separate, tested change.',
    });
  }

  addEnvironment(key: string, value: string): void {
    this.fn.addEnvironment(key, value);
  }
}
