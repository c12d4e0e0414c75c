import { createHash, createHmac } from 'node:crypto';
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SignatureV4 } from '@smithy/signature-v4';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { PlannerResult } from '../pipeline/planner.ts';
import type { PlanWindow } from '../sources/source.ts';
import type { PlannerInvoker, QueueRole } from './ports.ts';
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
  const url = async (envName: string, suffix: string) =>
    env[envName] || (await sqs.send(new GetQueueUrlCommand({ QueueName: name(suffix) }))).QueueUrl!;
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

type Bytes = string | ArrayBuffer | ArrayBufferView;
const toBuffer = (d: Bytes): string | Buffer =>
  typeof d === 'string' ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

class NodeSha256 {
  private hash: { update(d: string | Buffer): unknown; digest(): Buffer };
  private readonly secret: string | Buffer | undefined;
  constructor(secret?: Bytes) {
    this.secret = secret === undefined ? undefined : toBuffer(secret);
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: Bytes): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/**
 * Invokes the deployed planner synchronously with `{ "window": ... }` (Lambda
 * Invoke API, SigV4-signed with the default credential chain; the project
 * has no @aws-sdk/client-lambda dependency). Errors carry the function's own
 * error type and message, never the request.
 */
export function lambdaPlannerInvoker(functionName: string, region: string, endpoint?: string): PlannerInvoker {
  return async (window: PlanWindow) => {
    const base = new URL(endpoint ?? `https://lambda.${region}.amazonaws.com`);
    const path = `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
    const body = JSON.stringify({ window });
    const signer = new SignatureV4({ service: 'lambda', region, credentials: defaultProvider(), sha256: NodeSha256 });
    const signed = await signer.sign({
      method: 'POST',
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port ? Number(base.port) : undefined,
      path,
      headers: { host: base.host, 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
      body,
    });
    const res = await fetch(new URL(path, base), { method: 'POST', headers: signed.headers as Record<string, string>, body });
    const text = await res.text();
    if (!res.ok) throw new Error(`Lambda Invoke of ${functionName} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
    const functionError = res.headers.get('x-amz-function-error');
    if (functionError) throw new Error(`planner ${functionName} failed (${functionError}): ${text.slice(0, 500)}`);
    return JSON.parse(text) as PlannerResult;
  };
}
