import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ClickHouseClient } from '@clickhouse/client';
import { s3Client } from '#adapters/aws/clients.ts';
import { S3BlobStore } from '#adapters/aws/s3-blob-store.ts';
import { s3NotificationBody } from '#adapters/aws/sqs-queues.ts';
import { stagedKey } from '#shared/pipeline/messages.ts';
import { encodeStaged, STAGED_CONTENT_TYPE } from '#shared/staging/codec.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { createLoaderHandler } from '#functions/handlers/loader.ts';
import { createObservability } from '#functions/handlers/observability.ts';
import { pipelineFromEnvironment } from '#functions/environment.ts';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';

/**
 * The local runner runs several invocations of one handler at once in one
 * process (maxConcurrency), as Lambda never does in one environment. A
 * failure reported by one invocation must survive another one starting.
 */
describe('two invocations of the loader handler at once', () => {
  let aws: LocalAws;
  let client: ClickHouseClient;

  beforeAll(async () => {
    aws = await startLocalAws({});
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-conc-')));
    await migrate(client, 'conc');
  });
  afterAll(async () => {
    await aws?.stop();
    await client?.close();
  });

  const record = (id: string, body: string): SQSRecord => ({
    messageId: id,
    receiptHandle: id,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:loads',
    awsRegion: 'us-east-1',
  });
  const context = (): Context => ({
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'loader',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:loader',
    memoryLimitInMB: '1024',
    awsRequestId: Math.random().toString(36).slice(2),
    logGroupName: '/aws/lambda/loader',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  });

  // Regression, fixed (functions/loader.ts and functions/fetcher.ts: `const processor = new BatchProcessor(EventType.SQS)` at
  // module level): every invocation shares one BatchProcessor, whose prepare() clears the failures recorded so
  // far. When a second invocation starts while the first is still running, the first one's failed records are
  // reported as processed and the event source deletes them: a failed load or shard vanishes from the cycle
  // (the local soak stalls with "no progress"; the next cycle's planner re-announces/re-enqueues it, so no
  // fill is lost for good). Lambda runs one invocation per environment at a time, the local runner does not.
  // Fix: create the BatchProcessor inside the handler, per invocation.
  it('keeps a failed record of the first invocation failed when a second invocation runs meanwhile', async () => {
    let releaseInsert!: () => void;
    const insertMayFinish = new Promise<void>((r) => (releaseInsert = r));
    let insertStarted!: () => void;
    const inserting = new Promise<void>((r) => (insertStarted = r));
    const gated = new Proxy(client, {
      get(obj, prop, receiver) {
        const v = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        if (prop !== 'exec') return (v as (...a: unknown[]) => unknown).bind(obj);
        return async (...args: unknown[]) => {
          insertStarted();
          await insertMayFinish;
          return (v as (...a: unknown[]) => unknown).apply(obj, args);
        };
      },
    });
    const handler = createLoaderHandler({
      ...pipelineFromEnvironment(aws.env),
      warehouse: async () => ({ client: gated, database: 'conc' }),
      ...createObservability({ service: 'polymarket-sync', namespace: 'PolymarketSync', stage: 'test', logLevel: 'CRITICAL', publishMetrics: false }),
    });

    const key = stagedKey({ runId: '20260101T000000Z-abcdef', source: 'subgraph', shardId: '00000', seq: 0 });
    const blobs = new S3BlobStore(s3Client({ region: aws.region, endpoint: aws.s3Endpoint }), aws.bucket);
    await blobs.put(key, encodeStaged([{ table: 'rejects', row: { source: 'subgraph', reason: 'r', raw: 'x' } }]), STAGED_CONTENT_TYPE);

    const invoke = handler as unknown as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;
    // First invocation: one record fails at once (not JSON), one is still inserting.
    const first = invoke({ Records: [record('bad', 'not json'), record('slow', s3NotificationBody(aws.bucket, key))] }, context());
    await inserting;
    // Second invocation: one record that succeeds, start to end, while the first is still running.
    const second = await invoke({ Records: [record('test-event', JSON.stringify({ Event: 's3:TestEvent' }))] }, context());
    releaseInsert();
    expect(second.batchItemFailures).toEqual([]);
    expect((await first).batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
  });
});
