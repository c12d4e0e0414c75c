import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import dynalite from 'dynalite';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { QUEUE_SETTINGS, RESOURCE_NAMES } from '#shared/pipeline/queue-settings.ts';

export interface LocalAws {
  region: string;
  sqsEndpoint: string;
  s3Endpoint: string;
  dynamoEndpoint: string;
  shardQueueUrl: string;
  shardDlqUrl: string;
  loadQueueUrl: string;
  loadDlqUrl: string;
  bucket: string;
  table: string;
  /** Environment variables that point the handlers at these stand-ins. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalAwsOptions {
  /** Where SQS/S3 (SQLite) and DynamoDB (LevelDB) keep their state; omit for in-memory. */
  dataDir?: string;
  /** Seconds a received message stays hidden; default 6x the local function timeout, as in AWS. */
  visibilityTimeoutSeconds?: number;
}

/**
 * fauxqs (SQS + S3) and dynalite (DynamoDB) in this process, with the queues,
 * DLQs, bucket and table created as infra/ defines them.
 */
export async function startLocalAws(opts: LocalAwsOptions): Promise<LocalAws> {
  const region = 'us-east-1';
  let fauxqsDir: string | undefined;
  let dynamoDir: string | undefined;
  if (opts.dataDir) {
    fauxqsDir = join(opts.dataDir, 'fauxqs');
    dynamoDir = join(opts.dataDir, 'dynamodb');
    mkdirSync(fauxqsDir, { recursive: true });
    mkdirSync(dynamoDir, { recursive: true });
  }
  const fauxqs: FauxqsServer = await startFauxqs({ port: 0, logger: false, dataDir: fauxqsDir });
  const sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
  const visibility = String(opts.visibilityTimeoutSeconds ?? 720);
  const queue = (name: string, attributes: Record<string, string> = {}): { url: string; arn: string } => {
    const existing = fauxqs.inspectQueue(name);
    if (existing) return { url: existing.url, arn: existing.arn };
    const created = fauxqs.createQueue(name, { attributes: { VisibilityTimeout: visibility, ...attributes } });
    return { url: created.queueUrl, arn: created.queueArn };
  };
  const shardDlq = queue(RESOURCE_NAMES.shardDlq, { MessageRetentionPeriod: '1209600' });
  const loadDlq = queue(RESOURCE_NAMES.loadDlq, { MessageRetentionPeriod: '1209600' });
  const redrive = (arn: string, max: number) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: String(max) });
  const shardQueue = queue(RESOURCE_NAMES.shardQueue, { RedrivePolicy: redrive(shardDlq.arn, QUEUE_SETTINGS.shardMaxReceiveCount) });
  const loadQueue = queue(RESOURCE_NAMES.loadQueue, { RedrivePolicy: redrive(loadDlq.arn, QUEUE_SETTINGS.loadMaxReceiveCount) });
  try {
    fauxqs.createBucket(RESOURCE_NAMES.bucket);
  } catch {
    // Restored from the data directory.
  }

  const dynamo: Server = dynalite({ path: dynamoDir, createTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
  const dynamoEndpoint = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  await createStateTable(dynamoEndpoint, region);

  const local = {
    region,
    sqsEndpoint,
    s3Endpoint: sqsEndpoint,
    dynamoEndpoint,
    shardQueueUrl: shardQueue.url,
    shardDlqUrl: shardDlq.url,
    loadQueueUrl: loadQueue.url,
    loadDlqUrl: loadDlq.url,
    bucket: RESOURCE_NAMES.bucket,
    table: RESOURCE_NAMES.table,
  };
  return {
    ...local,
    env: {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: sqsEndpoint,
      AWS_ENDPOINT_URL_S3: sqsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      SHARD_QUEUE_URL: local.shardQueueUrl,
      LOAD_QUEUE_URL: local.loadQueueUrl,
      STAGING_BUCKET: local.bucket,
      STATE_TABLE: local.table,
    },
    async stop() {
      await fauxqs.stop();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

async function createStateTable(endpoint: string, region: string): Promise<void> {
  const db = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await db.send(
      new CreateTableCommand({
        TableName: RESOURCE_NAMES.table,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  await db.send(new DescribeTableCommand({ TableName: RESOURCE_NAMES.table }));
  db.destroy();
}
