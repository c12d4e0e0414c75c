import type { ClickHouseClient } from '@clickhouse/client';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { z } from 'zod';
import { AWS_SETTINGS, CLICKHOUSE_SETTINGS, readSettings, SOURCE_SETTINGS, ConfigError } from '#shared/config.ts';
import { dynamoDocumentClient, s3Client, sqsClient } from '#shared/aws/clients.ts';
import { S3BlobStore } from '#shared/aws/s3-blob-store.ts';
import { SqsLoadQueue, SqsShardQueue } from '#shared/aws/sqs-queues.ts';
import { DynamoStateStore } from '#shared/state/dynamo-state-store.ts';
import { buildSources } from '#shared/sources/registry.ts';
import { serverClient } from '#shared/warehouse/client.ts';

/**
 * Everything a handler needs, built once per function instance from its
 * environment. Each getter reads only its own settings, so a wrong setting
 * fails the cold start with a message that names it.
 */
function aws() {
  const s = readSettings(AWS_SETTINGS);
  return {
    s3: s3Client({ region: s.AWS_REGION, endpoint: s.AWS_ENDPOINT_URL_S3 }),
    sqs: sqsClient({ region: s.AWS_REGION, endpoint: s.AWS_ENDPOINT_URL_SQS }),
    dynamo: dynamoDocumentClient({ region: s.AWS_REGION, endpoint: s.AWS_ENDPOINT_URL_DYNAMODB }),
  };
}

let cached: ReturnType<typeof build> | undefined;
function build() {
  const clients = aws();
  const names = readSettings(['SHARD_QUEUE_URL', 'LOAD_QUEUE_URL', 'STAGING_BUCKET', 'STATE_TABLE', 'PAGES_PER_OBJECT']);
  return {
    state: new DynamoStateStore(clients.dynamo, names.STATE_TABLE),
    blobs: new S3BlobStore(clients.s3, names.STAGING_BUCKET),
    shardQueue: new SqsShardQueue(clients.sqs, names.SHARD_QUEUE_URL),
    loadQueue: new SqsLoadQueue(clients.sqs, names.LOAD_QUEUE_URL, names.STAGING_BUCKET),
    pagesPerObject: names.PAGES_PER_OBJECT,
  };
}

/** Queues, bucket and state table, as named by the environment. */
export function pipelineRuntime() {
  return (cached ??= build());
}

let sources: ReturnType<typeof buildSources> | undefined;
export function sourceRegistry() {
  return (sources ??= buildSources(readSettings(SOURCE_SETTINGS)));
}

export interface Warehouse {
  client: ClickHouseClient;
  database: string;
}
export type WarehouseFactory = () => Promise<Warehouse>;

const clickHouseSecretSchema = z.object({ url: z.string().url(), username: z.string(), password: z.string() });

/** A ClickHouse server named by CLICKHOUSE_URL, or by the Secrets Manager secret in CLICKHOUSE_SECRET_ARN. */
const serverWarehouse: WarehouseFactory = async () => {
  const s = readSettings(CLICKHOUSE_SETTINGS);
  if (s.CLICKHOUSE_SECRET_ARN) {
    const raw = await getSecret(s.CLICKHOUSE_SECRET_ARN, { transform: 'json' });
    const secret = clickHouseSecretSchema.safeParse(raw);
    // Never echo the secret: only say which fields are wrong.
    if (!secret.success) {
      throw new ConfigError(`CLICKHOUSE_SECRET_ARN secret is invalid: needs JSON fields ${secret.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    }
    return { client: serverClient(secret.data), database: s.CLICKHOUSE_DATABASE };
  }
  if (!s.CLICKHOUSE_URL) throw new ConfigError('Configuration error: CLICKHOUSE_URL or CLICKHOUSE_SECRET_ARN is required but not set');
  return {
    client: serverClient({ url: s.CLICKHOUSE_URL, username: s.CLICKHOUSE_USER, password: s.CLICKHOUSE_PASSWORD }),
    database: s.CLICKHOUSE_DATABASE,
  };
};

let warehouseFactory: WarehouseFactory = serverWarehouse;
let warehouse: Promise<Warehouse> | undefined;

/** The local runner points the loader at the embedded engine here; Lambda keeps the server default. */
export function useWarehouse(factory: WarehouseFactory): void {
  warehouseFactory = factory;
  warehouse = undefined;
}

export function currentWarehouse(): Promise<Warehouse> {
  warehouse ??= warehouseFactory().catch((err) => {
    warehouse = undefined;
    throw err;
  });
  return warehouse;
}

/** Forgets every built dependency, so the next invocation re-reads the environment (local runs and tests). */
export function resetRuntime(): void {
  cached = undefined;
  sources = undefined;
  warehouse = undefined;
}
