import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { REPO_ROOT } from '#infra/paths.ts';

/** The Lambda runtime every function uses: Node 24, the same major version as every local script. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** Graviton: cheaper per GB-second than x86 and nothing we bundle is native. */
export const FUNCTION_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * Turns `require` back on inside the ESM bundle, for CommonJS dependencies
 * that call `require('node:...')` at runtime (esbuild cannot rewrite those
 * into imports). Named imports avoid clashing with bundled identifiers.
 */
const REQUIRE_SHIM = "import { createRequire as __pmsCreateRequire } from 'node:module'; const require = __pmsCreateRequire(import.meta.url);";

/**
 * One set of esbuild options for every function.
 *
 * - ESM (`index.mjs`), target node24, tree-shaken and minified: smaller
 *   bundles load faster on a cold start.
 * - AWS SDK v3 is bundled, not taken from the runtime (`externalModules: []`).
 *   The Node 24 runtime does ship `@aws-sdk/*`, but at a version AWS picks and
 *   changes without notice; bundling runs the exact SDK the tests ran against
 *   (lib-dynamodb, Powertools and the clients must agree on @smithy versions)
 *   and tree-shaking keeps the cost to a few hundred KB.
 * - Source maps (without sources content) so `--enable-source-maps` gives
 *   TypeScript stack traces; the map's `sources` list is also what the bundle
 *   test reads to prove chdb/fauxqs/dynalite never reach a bundle.
 * - Nothing else is external: a bundle is self-contained, so a dependency
 *   that is only meant for local runs fails the bundle test instead of
 *   failing at cold start in AWS.
 */
export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: false,
  externalModules: [],
  banner: REQUIRE_SHIM,
};

export interface PipelineFunctionProps {
  /** Short name: planner, fetcher, loader, monitor. Also the entry file `functions/<name>.ts`. */
  readonly name: string;
  readonly stage: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Directory holding the handler entries; defaults to the repository's `functions/`. */
  readonly functionsDir?: string;
  readonly reservedConcurrentExecutions?: number;
  readonly recursiveLoop?: lambda.RecursiveLoop;
}

/** Common Powertools/runtime settings every function gets. */
export function commonEnvironment(stage: string): Record<string, string> {
  return {
    // One service name for the whole pipeline: Powertools adds it as the
    // `service` dimension, so every function's metrics share one dimension
    // set ({service, Stage}) and one alarm covers all emitters.
    POWERTOOLS_SERVICE_NAME: 'polymarket-sync',
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    SYNC_STAGE: stage,
    NODE_OPTIONS: '--enable-source-maps',
  };
}

export const METRICS_NAMESPACE = 'PolymarketSync';

/**
 * A bundled Node 24 arm64 function with its own log group (retention from the
 * configuration) and the common environment. One construct per function, so
 * the stack reads as the pipeline's shape.
 */
export class PipelineFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const functionName = `polymarket-sync-${props.stage}-${props.name}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Our own role instead of the AWSLambdaBasicExecutionRole managed policy:
    // it may write to this function's log group only, not to every log group
    // in the account. Everything else comes from grants in the stack.
    this.role = new iam.Role(this, 'Role', {
      roleName: functionName,
      description: `Execution role of ${functionName}`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    this.logGroup.grantWrite(this.role);
    const functionsDir = props.functionsDir ?? path.join(REPO_ROOT, 'functions');
    this.fn = new NodejsFunction(this, 'Function', {
      functionName,
      description: props.description,
      entry: path.join(functionsDir, `${props.name}.ts`),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: FUNCTION_ARCHITECTURE,
      timeout: props.timeout,
      memorySize: props.memorySize,
      environment: { ...commonEnvironment(props.stage), ...props.environment },
      logGroup: this.logGroup,
      role: this.role,
      bundling: BUNDLING,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      recursiveLoop: props.recursiveLoop,
    });
  }
}
