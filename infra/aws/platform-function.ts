/**
 * Every Lambda function of the platform, built the same way: Node.js 22 on arm64, active X-Ray
 * tracing, JSON logs into a log group of its own with a retention, and an ESM bundle made by
 * the locally installed esbuild (no Docker). Its role starts empty except for writing its own
 * logs (no AWSLambdaBasicExecutionRole): whatever else it may do is granted explicitly, and
 * test/infra/aws/least-privilege.test.ts checks that against what its code sends. Handlers
 * log and emit metrics through functions/observability.ts (Powertools: JSON lines, EMF).
 */
import { Duration, RemovalPolicy, Validations, AssetHashType } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleEdgeSidecar, bundleFunction, REPO_ROOT } from './function-bundle.ts';

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
  /** Bundle the edge sidecar beside the handler (the function registers service task definitions that carry it). */
  withEdgeSidecar?: boolean;
  /** Concurrent executions kept for (and limiting) this function; default: the account's unreserved pool. */
  reservedConcurrentExecutions?: number;
}

export class PlatformFunction extends Construct implements iam.IGrantable {
  readonly fn: lambda.Function;
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

    this.fn = new lambda.Function(this, 'Function', {
      code: bundledCode(props.entry, props.withEdgeSidecar ?? false),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
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

/**
 * The function's code: function-bundle.ts run by the CDK's local bundling into the asset
 * directory. The hash is the output's, so an unchanged bundle is not uploaded again. Local
 * bundling always answers; the image only satisfies the type and is never pulled.
 */
function bundledCode(entry: string, withEdgeSidecar: boolean): lambda.Code {
  return lambda.Code.fromAsset(REPO_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: lambda.Runtime.NODEJS_22_X.bundlingImage,
      // The CDK reuses a bundle for equal bundling options within an app (its closures do not
      // count), so the entry is named here: each function gets its own.
      environment: { CASSINI_FUNCTION_ENTRY: entry, ...(withEdgeSidecar ? { CASSINI_EDGE_SIDECAR: '1' } : {}) },
      local: {
        tryBundle(outputDir: string): boolean {
          bundleFunction(entry, outputDir);
          if (withEdgeSidecar) bundleEdgeSidecar(outputDir);
          return true;
        },
      },
    },
  });
}
