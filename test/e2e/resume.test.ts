import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetTotals, generateDataset, startSimulatedSources, type Dataset, type SimulatedSources } from '#simulator/index.ts';
import { s3Client, dynamoDocumentClient } from '#adapters/aws/clients.ts';
import { S3BlobStore } from '#adapters/aws/s3-blob-store.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { loadObject } from '#shared/pipeline/loader.ts';
import { stagedKey } from '#shared/pipeline/messages.ts';
import { encodeStaged, STAGED_CONTENT_TYPE } from '#shared/staging/codec.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import type { StateStore } from '#shared/ports/state.ts';
import type { FillRow } from '#shared/model/fill.ts';
import { startLocalAws } from '#local/emulators.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';

describe('resuming after a fetcher stops mid-shard or a loader dies between insert and record', () => {
  let dataset: Dataset;
  let sim: SimulatedSources;
  let p: TestPipeline;

  beforeAll(async () => {
    dataset = generateDataset({ seed: 11, markets: 200, fills: 30_000 });
    sim = await startSimulatedSources({ dataset });
    p = await startTestPipeline({ ...sim.env, SYNC_SOURCES: 'markets,subgraph', PAGES_PER_OBJECT: '2' });
  });
  afterAll(async () => {
    await p?.close();
    await sim?.close();
  });

  async function expectExact(database: string, ds: Dataset) {
    const row = await p.one<{ n: string; final: string; distinct: string; maker: string }>(
      `SELECT count() AS n, (SELECT count() FROM ${database}.fills FINAL) AS final, uniqExact(fill_id) AS distinct,
              toString(sum(maker_amount_filled)) AS maker FROM ${database}.fills`,
    );
    const totals = datasetTotals(ds);
    expect(Number(row.n)).toBe(totals.count);
    expect(Number(row.final)).toBe(totals.count);
    expect(Number(row.distinct)).toBe(totals.count);
    expect(BigInt(row.maker)).toBe(totals.makerAmountFilled);
  }

  it('hands a long shard back to the queue when its time runs out and resumes from the recorded cursor', async () => {
    // A fetcher hands a shard back when less than 10 s + twice its slowest batch remains: with a 10 s
    // function timeout that is true after every batch, whatever the machine's speed.
    const result = await p.cycle({ warehouse: { client: p.client, database: 'handback' }, fetcherTimeoutMs: 10_000 });
    expect(result.reason).toBeUndefined();
    expect(result.counters.ShardsHandedBack).toBeGreaterThan(0);
    await expectExact('handback', dataset);
  });

  it('loses nothing and duplicates nothing when fetch attempts die between pages', async () => {
    // Fresh queues and state (a first run), the same chDB: one data directory per process.
    const aws = await startLocalAws({});
    try {
      // The 9th and the 18th request die (a cut connection, then a 500): each attempt ends mid-shard,
      // whatever the machine's speed, because the deaths are counted in requests, not in time.
      const pass = (n: number) => Array.from({ length: n }, () => 'pass' as const);
      sim.subgraph.setFaults({ script: [...pass(8), 'cut', ...pass(8), '500'] });
      const result = await p.cycle({
        aws,
        warehouse: { client: p.client, database: 'killed' },
        env: { SOURCE_MAX_RETRIES: '0', SYNC_SOURCES: 'subgraph' },
        retryDelaySeconds: 1,
      });
      sim.subgraph.setFaults({});
      expect(result.reason).toBeUndefined();
      expect(sim.subgraph.stats.faults.cut).toBe(1);
      expect(sim.subgraph.stats.faults['500']).toBe(1);
      expect(result.invocations.failedMessages).toBe(2);
      await expectExact('killed', dataset);
    } finally {
      sim.subgraph.setFaults({});
      await aws.stop();
    }
  });

  it('after an interrupted cycle (Ctrl-C), the next fetches each unfinished shard once', async () => {
    // Queues and state of their own (a first run), kept from one cycle to the next as a data directory keeps them.
    const aws = await startLocalAws({});
    try {
      const warehouse = { client: p.client, database: 'interrupted' };
      // Stopped at the cycle's first progress report, before its fetchers start: its shards' messages stay in the queue.
      const abort = new AbortController();
      const stopped = await p.cycle({ aws, warehouse, fetcherConcurrency: 1, signal: abort.signal, onProgress: () => abort.abort() });
      expect(stopped.ok).toBe(false);
      expect(stopped.reason).toContain('interrupted');
      expect(stopped.planner.outcome).toBe('planned');

      const resumed = await p.cycle({ aws, warehouse, fetcherConcurrency: 1 });
      expect(resumed.ok, resumed.reason).toBe(true);
      expect(resumed.planner.outcome).toBe('resumed');
      const requeued = resumed.planner.outcome === 'resumed' ? resumed.planner.shardsRequeued : -1;
      expect(requeued).toBeGreaterThan(0);
      // Each re-enqueued shard reached a fetcher once: the interrupted cycle's messages did not come back beside them.
      expect(resumed.invocations.fetcherMessages).toBe(requeued);
      await expectExact('interrupted', dataset);
    } finally {
      await aws.stop();
    }
  });

  it('re-running a load that died after the ClickHouse insert and before the loaded record adds nothing', async () => {
    const database = 'loaderdeath';
    await migrate(p.client, database);
    const aws = p.aws;
    const blobs = new S3BlobStore(s3Client({ region: aws.region, endpoint: aws.s3Endpoint }), aws.bucket);
    const real = new DynamoStateStore(dynamoDocumentClient({ region: aws.region, endpoint: aws.dynamoEndpoint }), aws.table);
    let dieOnce = true;
    const dying: StateStore = Object.assign(Object.create(real) as StateStore, {
      markLoaded: async (...args: Parameters<StateStore['markLoaded']>) => {
        if (dieOnce) {
          dieOnce = false;
          throw new Error('killed after the insert, before the loaded record');
        }
        return real.markLoaded(...args);
      },
    });
    const fills: FillRow[] = dataset.fills.slice(0, 500).map((f, i) => ({
      fill_id: f.id,
      source: 'subgraph',
      exchange: '',
      block_number: 0,
      log_index: 0,
      timestamp: f.timestamp,
      transaction_hash: f.transactionHash,
      order_hash: f.orderHash,
      maker: f.maker,
      taker: f.taker,
      maker_asset_id: f.makerAssetId,
      taker_asset_id: f.takerAssetId,
      maker_amount_filled: f.makerAmountFilled,
      taker_amount_filled: f.takerAmountFilled,
      fee: f.fee,
      token_id: f.makerAssetId === '0' ? f.takerAssetId : f.makerAssetId,
      side: f.makerAssetId === '0' ? 'BUY' : 'SELL',
      usdc_amount: '0',
      token_amount: '0',
      price: i / 1000,
    }));
    const key = stagedKey({ runId: '20261121T000000Z-abcdef', source: 'subgraph', shardId: '00000', seq: 0 });
    await blobs.put(key, encodeStaged(fills.map((row) => ({ table: 'fills' as const, row }))), STAGED_CONTENT_TYPE);
    const deps = { state: dying, blobs, client: p.client, database };
    await expect(loadObject(deps, key)).rejects.toThrow('killed after the insert');
    expect(await real.isLoaded('20261121T000000Z-abcdef', key, (await blobs.get(key)).etag)).toBe(false);
    const again = await loadObject(deps, key);
    expect(again.skipped).toBe(false);
    const third = await loadObject(deps, key);
    expect(third.skipped).toBe(true);
    const row = await p.one<{ n: string; final: string }>(`SELECT count() AS n, (SELECT count() FROM ${database}.fills FINAL) AS final FROM ${database}.fills`);
    expect(Number(row.n)).toBe(500);
    expect(Number(row.final)).toBe(500);
  });
});
