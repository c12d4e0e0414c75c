/**
 * One run planned over the simulated subgraph, with the handlers (not the
 * domain functions) driven by hand: the test hands each invocation the SQS
 * records it chooses, so two invocations can get the same record at once, or
 * an invocation can die inside its batch code and the batch be delivered again.
 */
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { s3Client, sqsClient } from '#adapters/aws/clients.ts';
import { s3NotificationBody } from '#adapters/aws/sqs-queues.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { createFetcherHandler } from '#functions/handlers/fetcher.ts';
import { createLoaderHandler } from '#functions/handlers/loader.ts';
import { createObservability } from '#functions/handlers/observability.ts';
import { pipelineFromEnvironment, sourcesFromEnvironment } from '#functions/environment.ts';
import { runPlanner } from '#shared/pipeline/planner.ts';
import type { StateStore } from '#shared/ports/state.ts';
import type { BlobStore } from '#shared/ports/index.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';
import { localLambdaContext } from '#local/event-source.ts';
import { copyMigratedSchema } from '#test/support/schema-copy.ts';

export type Invoke = (event: SQSEvent) => Promise<SQSBatchResponse>;

const quiet = () => createObservability({ service: 'polymarket-sync', namespace: 'PolymarketSync', stage: 'test', logLevel: 'SILENT', publishMetrics: false });

// Far from the hand-back margin: these tests are about crashes and concurrency, not time.
const context = (functionName: string): Context => localLambdaContext(functionName, 600_000);

export function sqsRecord(queue: 'shards' | 'loads', messageId: string, body: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
    awsRegion: 'us-east-1',
  };
}

export interface HandlerWorld {
  aws: LocalAws;
  database: string;
  client: ClickHouseClient;
  runId: string;
  state: StateStore;
  blobs: BlobStore;
  /** A fetcher handler, as a cold start builds it; `wrap` may put crashable ports in its way. */
  fetcher(wrap?: (deps: { state: StateStore; blobs: BlobStore }) => { state: StateStore; blobs: BlobStore }): Invoke;
  /** A loader handler on this world's database; `wrap` may put crashable ports in its way. */
  loader(
    wrap?: (deps: { state: StateStore; blobs: BlobStore; client: ClickHouseClient }) => { state: StateStore; blobs: BlobStore; client: ClickHouseClient },
  ): Invoke;
  /** Takes every message now on the shard queue, as records (each deleted later by nobody: the test decides redelivery). */
  takeShardRecords(): Promise<SQSRecord[]>;
  /** One load record per staged object in the bucket, in key order. */
  stagedRecords(): Promise<SQSRecord[]>;
  stagedKeys(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * A fresh set of emulators and database, and a run planned over `sourceEnv`'s
 * subgraph. The database is migrated, or copied from `schemaFrom`, a database
 * migrated before (see copyMigratedSchema).
 */
export async function startHandlerWorld(opts: {
  client: ClickHouseClient;
  database: string;
  sourceEnv: NodeJS.ProcessEnv;
  schemaFrom?: string;
  /** Shards fetched at once, for the planner to size shards by (absent: by rows alone). */
  fetcherConcurrency?: number;
}): Promise<HandlerWorld> {
  const aws = await startLocalAws({});
  const env = { ...aws.env, PAGES_PER_OBJECT: '1' };
  const base = pipelineFromEnvironment(env);
  const sourceEnv = { ...opts.sourceEnv, SYNC_SOURCES: 'subgraph' };
  if (opts.schemaFrom) await copyMigratedSchema(opts.client, opts.schemaFrom, opts.database);
  else await migrate(opts.client, opts.database);
  const planned = await runPlanner(
    { ...base, sources: sourcesFromEnvironment(sourceEnv), fetcherConcurrency: opts.fetcherConcurrency },
    { owner: randomUUID(), resumeAfterMs: 0 },
  );
  if (!('runId' in planned) || typeof planned.runId !== 'string') throw new Error(`the planner planned no run: ${JSON.stringify(planned)}`);
  const runId = planned.runId;
  const sqs: SQSClient = sqsClient({ region: aws.region, endpoint: aws.sqsEndpoint });
  const s3: S3Client = s3Client({ region: aws.region, endpoint: aws.s3Endpoint });

  const stagedKeys = async (): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: 'staged/', ContinuationToken: token }));
      for (const o of res.Contents ?? []) keys.push(o.Key!);
      token = res.NextContinuationToken;
    } while (token);
    return keys.sort();
  };

  return {
    aws,
    database: opts.database,
    client: opts.client,
    runId,
    state: base.state,
    blobs: base.blobs,
    fetcher(wrap) {
      const fresh = pipelineFromEnvironment(env);
      const ports = wrap ? wrap({ state: fresh.state, blobs: fresh.blobs }) : fresh;
      const handler = createFetcherHandler({ ...fresh, ...ports, sources: sourcesFromEnvironment(sourceEnv), ...quiet() }) as unknown as (
        e: SQSEvent,
        c: Context,
      ) => Promise<SQSBatchResponse>;
      return (event) => handler(event, context('fetcher'));
    },
    loader(wrap) {
      const fresh = pipelineFromEnvironment(env);
      const ports = wrap ? wrap({ state: fresh.state, blobs: fresh.blobs, client: opts.client }) : { ...fresh, client: opts.client };
      const handler = createLoaderHandler({
        state: ports.state,
        blobs: ports.blobs,
        warehouse: async () => ({ client: ports.client, database: opts.database }),
        ...quiet(),
      }) as unknown as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;
      return (event) => handler(event, context('loader'));
    },
    async takeShardRecords() {
      const out: SQSRecord[] = [];
      for (;;) {
        const res = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: aws.shardQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 3600 }),
        );
        if (!res.Messages?.length) return out;
        for (const m of res.Messages) out.push(sqsRecord('shards', m.MessageId!, m.Body!));
      }
    },
    async stagedRecords() {
      return (await stagedKeys()).map((key, i) => sqsRecord('loads', `load-${i}`, s3NotificationBody(aws.bucket, key)));
    },
    stagedKeys,
    async stop() {
      await aws.stop();
    },
  };
}

/** Rows in `fills`, rows after FINAL, distinct fill ids and the maker amount, to compare with the dataset. */
export async function fillTotals(client: ClickHouseClient, database: string): Promise<{ n: number; final: number; distinct: number; maker: bigint }> {
  const rs = await client.query({
    query: `SELECT count() AS n, (SELECT count() FROM ${database}.fills FINAL) AS final, uniqExact(fill_id) AS distinct, toString(sum(maker_amount_filled)) AS maker FROM ${database}.fills`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string; final: string; distinct: string; maker: string }>();
  return { n: Number(row!.n), final: Number(row!.final), distinct: Number(row!.distinct), maker: BigInt(row!.maker) };
}
