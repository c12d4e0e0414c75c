import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { datasetTotals, generateDataset, startSimulatedSources, type Dataset, type SimulatedSources } from '#simulator/index.ts';
import { dynamoDocumentClient, sqsClient } from '#adapters/aws/clients.ts';
import { SqsLoadQueue, SqsShardQueue } from '#adapters/aws/sqs-queues.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { runPlanner } from '#shared/pipeline/planner.ts';
import { createSubgraphSource } from '#shared/sources/subgraph/index.ts';
import type { AnySource } from '#shared/sources/source.ts';
import { startLocalAws } from '#local/emulators.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';
import { clientOnPath, fillInsertsOverHttp, type PathClient, type WarehousePath } from './support/warehouse-path.ts';

/** The loader on the embedded connection, and as deployed: serverClient over HTTP to the same engine. */
const PATHS: WarehousePath[] = ['embedded', 'http'];

/** Invariant 1 when every message arrives twice and when scheduled runs overlap. */
describe('every message twice, and overlapping scheduled runs', () => {
  let dataset: Dataset;
  let sim: SimulatedSources;
  let p: TestPipeline;
  const paths = new Map<WarehousePath, PathClient>();

  beforeAll(async () => {
    dataset = generateDataset({ seed: 21, markets: 150, fills: 20_000 });
    sim = await startSimulatedSources({ dataset });
    p = await startTestPipeline({ ...sim.env, SYNC_SOURCES: 'markets,subgraph', PAGES_PER_OBJECT: '2' });
    for (const path of PATHS) paths.set(path, await clientOnPath(path, p.client));
  });
  afterAll(async () => {
    for (const path of paths.values()) await path.close();
    await p?.close();
    await sim?.close();
  });

  /** Over HTTP, the fills did go through the front, every insert answered 200 with a token of its own object and part. */
  function expectInsertsOverHttp(path: WarehousePath, database: string) {
    const front = paths.get(path)!.front;
    if (!front) return;
    const inserts = fillInsertsOverHttp(front, database);
    expect(inserts.length).toBeGreaterThan(0);
    expect(inserts.every((i) => i.status === 200 && /:fills:\d+$/.test(i.token ?? ''))).toBe(true);
  }

  async function expectExact(database: string) {
    const totals = datasetTotals(dataset);
    const row = await p.one<{ n: string; final: string; distinct: string; maker: string }>(
      `SELECT count() AS n, (SELECT count() FROM ${database}.fills FINAL) AS final, uniqExact(fill_id) AS distinct,
              toString(sum(maker_amount_filled)) AS maker FROM ${database}.fills`,
    );
    expect({ n: Number(row.n), final: Number(row.final), distinct: Number(row.distinct), maker: BigInt(row.maker) }).toEqual({
      n: totals.count,
      final: totals.count,
      distinct: totals.count,
      maker: totals.makerAmountFilled,
    });
  }

  it.each(PATHS)('loads exactly once when the event sources deliver every shard and every notification twice (%s)', async (path) => {
    // State of its own: the other path's run has moved the shared state's watermarks to the end.
    const aws = await startLocalAws({});
    try {
      const database = `twice_${path}`;
      const result = await p.cycle({ aws, warehouse: { client: paths.get(path)!.client, database }, deliverTwice: true });
      expect(result.reason).toBeUndefined();
      expect(result.ok).toBe(true);
      // Every message really went through its handler twice.
      expect(result.planner.outcome).toBe('planned');
      const shards = result.planner.outcome === 'planned' ? result.planner.shards : 0;
      expect(result.invocations.fetcherMessages).toBeGreaterThanOrEqual(2 * shards);
      // The second delivery of a notification finds the object loaded and sends nothing.
      expect(result.counters.ObjectsLoaded).toBeLessThanOrEqual(result.counters.ObjectsStaged);
      await expectExact(database);
      expectInsertsOverHttp(path, database);
    } finally {
      await aws.stop();
    }
  });

  it('lets only one of two planners started at once plan; the other is told busy', async () => {
    const aws = await startLocalAws({});
    try {
      const state = new DynamoStateStore(dynamoDocumentClient({ region: aws.region, endpoint: aws.dynamoEndpoint }), aws.table);
      const sqs = sqsClient({ region: aws.region, endpoint: aws.sqsEndpoint });
      const deps = (source: AnySource) => ({
        state,
        shardQueue: new SqsShardQueue(sqs, aws.shardQueueUrl),
        loadQueue: new SqsLoadQueue(sqs, aws.loadQueueUrl, aws.bucket),
        sources: { subgraph: source },
      });
      const real = createSubgraphSource({ url: sim.subgraphUrl, timeoutMs: 10_000, maxRetries: 1 }) as AnySource;
      // The first planner is still planning (holding its lease) while the second one starts.
      let releaseFirst!: () => void;
      const firstMayFinish = new Promise<void>((r) => (releaseFirst = r));
      let firstPlanning!: () => void;
      const firstIsPlanning = new Promise<void>((r) => (firstPlanning = r));
      const slow: AnySource = {
        ...real,
        plan: async (input) => {
          firstPlanning();
          await firstMayFinish;
          return real.plan(input);
        },
      };
      const first = runPlanner(deps(slow), { owner: randomUUID(), resumeAfterMs: 0 });
      await firstIsPlanning;
      const second = await runPlanner(deps(real), { owner: randomUUID(), resumeAfterMs: 0 });
      releaseFirst();
      expect(second.outcome).toBe('busy');
      expect((await first).outcome).toBe('planned');
      // Only one run exists, and it is the open one.
      const open = await state.getOpenRunId();
      expect(open).toBe(((await first) as { runId: string }).runId);
    } finally {
      await aws.stop();
    }
  });

  it.each(PATHS)('stays exact when two scheduled cycles overlap on the same state, each delivering every message twice (%s)', async (path) => {
    const aws = await startLocalAws({});
    try {
      const database = `overlap_${path}`;
      const warehouse = { client: paths.get(path)!.client, database };
      const [a, b] = await Promise.all([
        p.cycle({ aws, warehouse, deliverTwice: true }),
        new Promise((r) => setTimeout(r, 50)).then(() => p.cycle({ aws, warehouse, deliverTwice: true })),
      ]);
      const outcomes = [a.planner.outcome, b.planner.outcome].sort();
      // One planned; the other found the lease held (busy) or, if it came after, the open run (resumed).
      expect(outcomes.filter((o) => o === 'planned')).toHaveLength(1);
      expect(outcomes.every((o) => o === 'planned' || o === 'busy' || o === 'resumed')).toBe(true);
      const planned = a.planner.outcome === 'planned' ? a : b;
      expect(planned.ok).toBe(true);
      await expectExact(database);
      // And a third cycle afterwards finds nothing to add.
      const again = await p.cycle({ aws, warehouse });
      expect(again.ok).toBe(true);
      expect(again.counters.FillsLoaded).toBe(0);
      await expectExact(database);
      expectInsertsOverHttp(path, database);
    } finally {
      await aws.stop();
    }
  });
});
