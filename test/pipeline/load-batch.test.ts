import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { dynamoDocumentClient, s3Client } from '#adapters/aws/clients.ts';
import { S3BlobStore } from '#adapters/aws/s3-blob-store.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { s3NotificationBody } from '#adapters/aws/sqs-queues.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { createBatchLoader } from '#shared/pipeline/load-batch.ts';
import { stagedKey } from '#shared/pipeline/messages.ts';
import type { Warehouse } from '#shared/ports/index.ts';
import { encodeStaged, STAGED_CONTENT_TYPE } from '#shared/staging/codec.ts';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';

/** The loader's batch logic, taken out of the handler: schema check, test events, one load per key. */
describe('createBatchLoader', () => {
  let aws: LocalAws;
  let client: ClickHouseClient;
  let blobs: S3BlobStore;
  let state: DynamoStateStore;

  beforeAll(async () => {
    aws = await startLocalAws({});
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-load-batch-')));
    blobs = new S3BlobStore(s3Client({ region: aws.region, endpoint: aws.s3Endpoint }), aws.bucket);
    state = new DynamoStateStore(dynamoDocumentClient({ region: aws.region, endpoint: aws.dynamoEndpoint }), aws.table);
  });
  afterAll(async () => {
    await aws?.stop();
    await client?.close();
  });

  it('refuses to load into a warehouse whose schema is not current, and checks again on the next batch', async () => {
    const connections: string[] = [];
    const loader = createBatchLoader({
      state,
      blobs,
      warehouse: async (): Promise<Warehouse> => {
        connections.push('connect');
        return { client, database: 'batch' };
      },
    });
    await expect(loader.beginBatch()).rejects.toThrow(/schema/i);
    await migrate(client, 'batch');
    const batch = await loader.beginBatch();
    await loader.beginBatch();
    // Connected again after the failed check, then never again.
    expect(connections).toEqual(['connect', 'connect']);
    expect(await batch.loadAnnouncement({ Event: 's3:TestEvent' })).toEqual([]);
  });

  it('loads an object announced twice in one batch once, and closes nothing it does not know', async () => {
    const key = stagedKey({ runId: '20260101T000000Z-abcdef', source: 'subgraph', shardId: '00000', seq: 0 });
    await blobs.put(key, encodeStaged([{ table: 'rejects', row: { source: 'subgraph', reason: 'r', raw: 'x' } }]), STAGED_CONTENT_TYPE);
    const loader = createBatchLoader({ state, blobs, warehouse: async () => ({ client, database: 'batch' }) });
    const batch = await loader.beginBatch();
    const announcement = JSON.parse(s3NotificationBody(aws.bucket, key)) as unknown;
    const first = await batch.loadAnnouncement(announcement);
    const second = await batch.loadAnnouncement(announcement);
    expect(first).toMatchObject([{ key, rejects: 1, skipped: false }]);
    expect(second).toEqual([]);
    const finished = await batch.finish();
    // No chain watermark yet: nothing to derive, and no error.
    expect(finished).toEqual({ positions: null });
  });

  it('rejects an announcement that is not an S3 notification', async () => {
    const loader = createBatchLoader({ state, blobs, warehouse: async () => ({ client, database: 'batch' }) });
    const batch = await loader.beginBatch();
    await expect(batch.loadAnnouncement({ Records: [{ nope: 1 }] })).rejects.toThrow();
  });
});
