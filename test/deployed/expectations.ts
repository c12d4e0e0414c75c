/* eslint-disable @typescript-eslint/no-explicit-any -- a synthesised template is untyped JSON */
import type { SimulatedSources } from '#simulator/index.ts';

/**
 * The dev stage's template enables markets and the chain; the cycle runs on
 * the simulated markets list and subgraph instead (no EVM node needed), so
 * SYNC_SOURCES and CHAIN_V1_FILLS are overridden as the subgraph stages set
 * them, and the source URLs point at the simulators. Only variables the
 * template already gives a function are replaced.
 */
export function SOURCE_OVERRIDES(sim: SimulatedSources): Record<string, string> {
  return {
    SYNC_SOURCES: 'markets,subgraph',
    CHAIN_V1_FILLS: 'false',
    POLYMARKET_SUBGRAPH_URL: sim.subgraphUrl,
    POLYMARKET_MARKETS_URL: sim.marketsUrl,
  };
}

/**
 * What the Lambda runtime itself sets (Lambda developer guide, "Defined
 * runtime environment variables"), with the credentials of the function's
 * role: a fake access key id named after the function, so each call is
 * recorded under the caller it came from.
 */
export function lambdaRuntimeEnvironment(fn: { Properties: Record<string, any> }, taskRoot: string, region: string): Record<string, string> {
  const name = String(fn.Properties.FunctionName);
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.Properties.MemorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: String(fn.Properties.Handler),
    TZ: ':UTC',
    AWS_ACCESS_KEY_ID: name.slice(name.lastIndexOf('-') + 1),
    AWS_SECRET_ACCESS_KEY: 'stand-in-secret-key',
  };
}

/** How far to move the monitor's clock so it runs in the hour's first 5-minute slot, when it probes the warehouse. */
export function MONITOR_QUALITY_SLOT_SHIFT_MS(now: number): number {
  const hour = 3_600_000;
  return hour - (now % hour) + 1_000;
}

const RUNTIME_LOGS = {
  'logs:CreateLogStream': "the Lambda runtime writes the function's output to its log group (no CloudWatch Logs stand-in here)",
  'logs:PutLogEvents': "the Lambda runtime writes the function's output to its log group (no CloudWatch Logs stand-in here)",
};
const POLLER = {
  'sqs:GetQueueAttributes': "Lambda's SQS poller (the event source mapping) reads the queue's attributes; the test drives the poll itself",
};

/**
 * Granted, and not called in the cycle, on purpose: each with the path that
 * calls it. Everything else a role grants must be called in the cycle.
 */
export const ALLOWED_UNUSED: Record<string, Record<string, string>> = {
  planner: { ...RUNTIME_LOGS },
  fetcher: {
    ...RUNTIME_LOGS,
    ...POLLER,
    'dynamodb:PutItem':
      "a fetcher whose shard settles last closes the run (completeRun's closing write; test/state/run-closes-once.test.ts); here the loader closed it; and a split's new shard (shared/pipeline/shard-split.ts; test/state/shard-split.test.ts), which this cycle's even shards never need",
    'dynamodb:DeleteItem': 'the same close clears the open-run pointer (completeRun; test/state/run-closes-once.test.ts)',
    'sqs:SendMessage':
      'a shard handed back near the timeout, a closing fetcher announcing its last object (shared/pipeline/fetcher.ts; test/e2e handback), and a split enqueueing its new shard',
  },
  loader: { ...RUNTIME_LOGS, ...POLLER },
  monitor: { ...RUNTIME_LOGS },
};
