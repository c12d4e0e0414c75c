import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { PlannerResult } from '#shared/pipeline/planner.ts';
import type { PlanWindow } from '#shared/sources/source.ts';
import type { PlannerInvoker, QueueRole } from '#shared/ports/ops.ts';
import type { QueuePair } from './sqs-dead-letters.ts';

/**
 * Names of a deployed stage's resources. infra/sync-stack.ts names every
 * resource `polymarket-sync-<stage>-<suffix>`; an environment variable
 * overrides each one (SHARD_QUEUE_URL, SHARD_DLQ_URL, LOAD_QUEUE_URL,
 * LOAD_DLQ_URL, STATE_TABLE, PLANNER_FUNCTION_NAME).
 */
export interface DeployedNames {
  stage: string;
  region: string;
  table: string;
  plannerFunction: string;
  queues: Record<QueueRole, QueuePair>;
}

const STAGE = /^[a-z0-9-]{1,32}$/;

export async function deployedNames(stage: string, sqs: SQSClient, env: NodeJS.ProcessEnv = process.env): Promise<DeployedNames> {
  if (!STAGE.test(stage)) throw new Error('--stage must be lower-case letters, digits and dashes');
  const name = (suffix: string) => `polymarket-sync-${stage}-${suffix}`;
  const url = async (envName: string, suffix: string) => env[envName] || (await sqs.send(new GetQueueUrlCommand({ QueueName: name(suffix) }))).QueueUrl!;
  return {
    stage,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    table: env.STATE_TABLE || name('state'),
    plannerFunction: env.PLANNER_FUNCTION_NAME || name('planner'),
    queues: {
      shards: { queueUrl: await url('SHARD_QUEUE_URL', 'shards'), dlqUrl: await url('SHARD_DLQ_URL', 'shards-dlq') },
      loads: { queueUrl: await url('LOAD_QUEUE_URL', 'loads'), dlqUrl: await url('LOAD_DLQ_URL', 'loads-dlq') },
    },
  };
}

/**
 * Invokes the deployed planner synchronously with `{ "window": ... }`.
 * Errors carry the function's own error type and message, never the request.
 */
export function lambdaPlannerInvoker(functionName: string, region: string, endpoint?: string): PlannerInvoker {
  const lambda = new LambdaClient({ region, endpoint });
  return async (window: PlanWindow) => {
    const res = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: JSON.stringify({ window }) }));
    const text = res.Payload ? Buffer.from(res.Payload).toString('utf8') : '';
    if (res.FunctionError) throw new Error(`planner ${functionName} failed (${res.FunctionError}): ${text.slice(0, 500)}`);
    return JSON.parse(text) as PlannerResult;
  };
}
