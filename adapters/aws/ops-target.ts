import type { SQSClient } from '@aws-sdk/client-sqs';
import { dynamoDocumentClient, sqsClient } from './clients.ts';
import { DynamoStateStore } from './dynamo-state-store.ts';
import type { StateStore } from '#shared/ports/state.ts';
import { deployedNames, lambdaPlannerInvoker, type DeployedNames } from './deployment.ts';
import { SqsDeadLetterQueues, type QueuePair } from './sqs-dead-letters.ts';
import type { DeadLetterQueues, PlannerInvoker, QueueRole } from '#shared/ports/ops.ts';

/** The state and queues an operator command works on: the local stand-ins or a deployed stage. */
export interface OpsTarget {
  describe: string;
  state: StateStore;
  deadLetters: DeadLetterQueues;
  sqs: SQSClient;
  /** Only for a deployed stage: the planner Lambda. Locally the CLI runs a cycle instead. */
  invokePlanner?: PlannerInvoker;
  names?: DeployedNames;
}

export interface LocalEndpoints {
  region: string;
  sqsEndpoint: string;
  dynamoEndpoint: string;
  table: string;
  queues: Record<QueueRole, QueuePair>;
}

/** The local emulators (fauxqs has no StartMessageMoveTask: dead letters are copied back). */
export function localTarget(e: LocalEndpoints, describe: string): OpsTarget {
  const sqs = sqsClient({ region: e.region, endpoint: e.sqsEndpoint });
  return {
    describe,
    sqs,
    state: new DynamoStateStore(dynamoDocumentClient({ region: e.region, endpoint: e.dynamoEndpoint }), e.table),
    deadLetters: new SqsDeadLetterQueues(sqs, e.queues, { method: 'copy' }),
  };
}

/** A deployed stage, by its resource names (env overrides, see deployment.ts); credentials from the default chain. */
export async function deployedTarget(stage: string, env: NodeJS.ProcessEnv = process.env): Promise<OpsTarget> {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const endpoint = (name: string) => env[name] || undefined;
  const sqs = sqsClient({ region, endpoint: endpoint('AWS_ENDPOINT_URL_SQS') });
  const names = await deployedNames(stage, sqs, env);
  return {
    describe: `stage ${stage} (${region})`,
    sqs,
    names,
    state: new DynamoStateStore(dynamoDocumentClient({ region, endpoint: endpoint('AWS_ENDPOINT_URL_DYNAMODB') }), names.table),
    deadLetters: new SqsDeadLetterQueues(sqs, names.queues, { method: 'auto' }),
    invokePlanner: lambdaPlannerInvoker(names.plannerFunction, region, endpoint('AWS_ENDPOINT_URL_LAMBDA')),
  };
}
