import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetTotals, generateDataset, startSimulatedSources, type SimulatedSources } from '#simulator/index.ts';
import { parseStagedKey } from '#shared/pipeline/messages.ts';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { CrashSwitch, crashable, crashableClickHouse, describePoint, type CrashPoint } from './support/crash.ts';
import { fillTotals, startHandlerWorld, type HandlerWorld, type Invoke } from './support/handler-world.ts';

/**
 * The handlers themselves (their batch code: the loader's `seen` set, run
 * completion in `finish()`, partial batch failures; the fetcher's record
 * loop), not only the domain functions: the same record to two invocations
 * started together with no order between them, and a process that dies at a
 * call inside an invocation, after which SQS delivers the whole batch again.
 * Every case must end with each fill loaded exactly once and the run closed.
 */
// Four months of fills: every insert still spans several monthly partitions, without the ~30 parts per
// insert of the generator's three-year default, each written with its projections (most of this file's time).
const dataset = generateDataset({ seed: 23, markets: 10, fills: 1_200, startTime: Date.UTC(2022, 10, 21) / 1000, endTime: Date.UTC(2023, 2, 1) / 1000 });
/** Each crash point runs in a fresh world (emulators, a database, a planned run): a whole loop is minutes on a loaded machine, and the bound only catches a hang. */
const LOOP_BOUND_MS = 1_200_000;
const totals = datasetTotals(dataset);
let sim: SimulatedSources;
let client: ClickHouseClient;
let databases = 0;
/** Migrated once; each world's database is a copy of it. */
const TEMPLATE = 'handler_crash_template';

beforeAll(async () => {
  sim = await startSimulatedSources({ dataset });
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-handler-crashes-')));
  await migrate(client, TEMPLATE);
});
afterAll(async () => {
  await client?.close();
  await sim?.close();
});

async function withWorld(body: (w: HandlerWorld) => Promise<void>, plan: { pageSize?: number; fetcherConcurrency?: number } = {}): Promise<void> {
  const sourceEnv = plan.pageSize ? { ...sim.env, SUBGRAPH_PAGE_SIZE: String(plan.pageSize) } : sim.env;
  const world = await startHandlerWorld({
    client,
    database: `handler_crash_${databases++}`,
    sourceEnv,
    schemaFrom: TEMPLATE,
    fetcherConcurrency: plan.fetcherConcurrency,
  });
  try {
    await body(world);
  } finally {
    await world.stop();
  }
}

const failed = (res: SQSBatchResponse, records: readonly SQSRecord[]) =>
  records.filter((r) => res.batchItemFailures.some((f) => f.itemIdentifier === r.messageId));

/** Delivers each shard message until the queue has nothing left, redelivering what an invocation reported failed. */
async function fetchAll(world: HandlerWorld, invoke: Invoke = world.fetcher()): Promise<void> {
  let pending = await world.takeShardRecords();
  for (let round = 0; pending.length > 0; round++) {
    if (round > 20) throw new Error('shards still failing after 20 rounds');
    const retry: SQSRecord[] = [];
    for (const r of pending) retry.push(...failed(await invoke({ Records: [r] }), [r]));
    pending = [...retry, ...(await world.takeShardRecords())];
  }
}

async function expectExactlyOnce(world: HandlerWorld, what: string): Promise<void> {
  const t = await fillTotals(world.client, world.database);
  expect({ what, ...t }).toEqual({ what, n: totals.count, final: totals.count, distinct: totals.count, maker: totals.makerAmountFilled });
  expect((await world.state.getRun(world.runId))?.status, what).toBe('complete');
}

/** Per shard, the staged objects' sequence numbers are 0..n-1: none missing, none staged under a second number. */
async function expectContiguousObjects(world: HandlerWorld): Promise<void> {
  const seqs = new Map<string, number[]>();
  for (const key of await world.stagedKeys()) {
    const k = parseStagedKey(key);
    if (!k) throw new Error(`not a staged key: ${key}`);
    seqs.set(k.shardId, [...(seqs.get(k.shardId) ?? []), k.seq]);
  }
  expect(seqs.size).toBeGreaterThan(0);
  for (const [, list] of seqs) expect(list.sort((a, b) => a - b)).toEqual(list.map((_, i) => i));
}

describe('the same record to two handler invocations at the same moment', () => {
  it('fetcher: two environments fetch the same shard message together; every page is staged once and every fill loads once', async () => {
    await withWorld(async (world) => {
      const shards = await world.takeShardRecords();
      expect(shards.length).toBeGreaterThan(0);
      const [a, b] = [world.fetcher(), world.fetcher()];
      for (const r of shards) {
        const [ra, rb] = await Promise.all([a({ Records: [r] }), b({ Records: [r] })]);
        expect([ra.batchItemFailures, rb.batchItemFailures]).toEqual([[], []]);
      }
      await fetchAll(world);
      await expectContiguousObjects(world);
      const res = await world.loader()({ Records: await world.stagedRecords() });
      expect(res.batchItemFailures).toEqual([]);
      await expectExactlyOnce(world, 'two fetchers at once');
    });
  });

  it('loader: two environments load the same batch of objects together; every fill is in once and the run closes', async () => {
    await withWorld(async (world) => {
      await fetchAll(world);
      const records = await world.stagedRecords();
      const [ra, rb] = await Promise.all([world.loader()({ Records: records }), world.loader()({ Records: records })]);
      // Whatever one of them reported failed would be delivered again; deliver it, then check.
      const again = [...failed(ra, records), ...failed(rb, records)];
      if (again.length > 0) expect((await world.loader()({ Records: again })).batchItemFailures).toEqual([]);
      await expectExactlyOnce(world, 'two loaders at once');
      expect(again).toEqual([]);
    });
  });
});

/** A run of the handler with every call counted; the crash cases are chosen from what it called. */
const firstAndLast = (calls: Map<string, number>, names: (name: string) => boolean): CrashPoint[] =>
  [...calls]
    .filter(([name]) => names(name))
    .flatMap(([at, n]) => [...new Set([1, n])].flatMap((k) => (['before', 'after'] as const).map((when) => ({ at, n: k, when }))));

describe('an invocation handed two shards (the shard queue mapping batch size, QUEUE_SETTINGS.fetcherBatchSize)', () => {
  /** Far above a healthy fetch of one object on a loaded machine: reached only when the other shard never starts. */
  const OTHER_SHARD_BOUND_MS = 120_000;

  it('fetches them side by side: each shard stages its first object only once the other has staged one too; both are staged whole and load once', async () => {
    await withWorld(
      async (world) => {
        const records = await world.takeShardRecords();
        expect(records.length).toBeGreaterThanOrEqual(2);
        const staging = new Set<string>();
        let othersStarted!: () => void;
        const bothStaging = new Promise<void>((resolve) => (othersStarted = resolve));
        const waitedInVain: string[] = [];
        const invoke = world.fetcher(({ state, blobs }) => ({
          state,
          blobs: {
            get: (key) => blobs.get(key),
            exists: (key) => blobs.exists(key),
            async put(key, body, contentType) {
              const shard = parseStagedKey(key)!.shardId;
              staging.add(shard);
              if (staging.size >= 2) othersStarted();
              // Given up once, no put waits again: the failure is recorded, and the invocation finishes to say so.
              const bound = setTimeout(() => {
                waitedInVain.push(shard);
                othersStarted();
              }, OTHER_SHARD_BOUND_MS);
              await bothStaging;
              clearTimeout(bound);
              return blobs.put(key, body, contentType);
            },
          },
        }));
        const pair = records.slice(0, 2);
        const res = await invoke({ Records: pair });
        expect(waitedInVain, 'a shard waited for the other to stage: the batch was fetched one shard after another').toEqual([]);
        expect(res.batchItemFailures).toEqual([]);
        for (const r of pair) {
          const shardId = (JSON.parse(r.body) as { shardId: string }).shardId;
          expect((await world.state.getShard(world.runId, shardId))?.done, shardId).toBe(true);
        }
        // The rest one by one, then everything loads exactly once.
        for (const r of records.slice(2)) expect((await invoke({ Records: [r] })).batchItemFailures).toEqual([]);
        await expectContiguousObjects(world);
        expect((await world.loader()({ Records: await world.stagedRecords() })).batchItemFailures).toEqual([]);
        await expectExactlyOnce(world, 'two shards in one invocation');
      },
      // 1,200 fills in pages of 100: the plan cuts shards for two fetchers.
      { pageSize: 100, fetcherConcurrency: 2 },
    );
  });
});

describe('a process that dies inside a handler invocation', () => {
  it(
    'loader: dying at the first and last call of each port (insert, loaded marker, heartbeat, run completion in finish()), with one object announced twice in the batch (the `seen` set), then the whole batch again, loads each fill once and closes the run',
    async () => {
      const batch = async (world: HandlerWorld) => {
        const records = await world.stagedRecords();
        // The first object announced again at the end: `seen` skips it in the same invocation.
        return [...records, { ...records[0]!, messageId: 'load-again' }];
      };
      const loaderOn = (world: HandlerWorld, sw: CrashSwitch) =>
        world.loader(({ state, blobs, client: ch }) => ({
          state: crashable(state, 'state', sw),
          blobs: crashable(blobs, 'blobs', sw),
          client: crashableClickHouse(ch, sw),
        }));

      let points: CrashPoint[] = [];
      await withWorld(async (world) => {
        await fetchAll(world);
        const sw = new CrashSwitch();
        expect((await loaderOn(world, sw)({ Records: await batch(world) })).batchItemFailures).toEqual([]);
        expect(sw.calls.get('clickhouse.exec')).toBe((await world.stagedKeys()).length);
        points = firstAndLast(sw.calls, (name) => name === 'clickhouse.exec' || name.startsWith('state.'));
      });
      expect(points.length).toBeGreaterThan(8);

      const fired: string[] = [];
      const survived: string[] = [];
      for (const point of points) {
        await withWorld(async (world) => {
          await fetchAll(world);
          const records = await batch(world);
          const sw = new CrashSwitch(point);
          const died = await loaderOn(
            world,
            sw,
          )({ Records: records }).then(
            (res) => res.batchItemFailures.length > 0,
            () => true,
          );
          if (sw.fired) fired.push(describePoint(point));
          if (sw.fired && !died) survived.push(point.at);
          // Lambda saw the process die: the whole batch comes back, to a fresh environment.
          expect((await world.loader()({ Records: records })).batchItemFailures, describePoint(point)).toEqual([]);
          await expectExactlyOnce(world, describePoint(point));
        });
      }
      expect(fired).toEqual(points.map(describePoint));
      // The one failure an invocation outlives: the positions refresh after the loads (it reads the watermarks first),
      // whose error is logged and retried by the next batch; every other point ends the invocation.
      expect(new Set(survived)).toEqual(new Set(['state.getWatermarks']));
    },
    LOOP_BOUND_MS,
  );

  it('loader: a partial batch failure (one object unreadable once) fails only its record; the run closes when that record comes back', async () => {
    await withWorld(async (world) => {
      await fetchAll(world);
      const records = await world.stagedRecords();
      expect(records.length).toBeGreaterThanOrEqual(2);
      const victim = records[1]!;
      const victimKey = (JSON.parse(victim.body) as { Records: { s3: { object: { key: string } } }[] }).Records[0]!.s3.object.key;
      let refused = false;
      const invoke = world.loader((ports) => ({
        ...ports,
        blobs: {
          ...ports.blobs,
          exists: (k: string) => ports.blobs.exists(k),
          put: (k: string, b: Buffer, t: string) => ports.blobs.put(k, b, t),
          get: async (k: string) => {
            if (k === victimKey && !refused) {
              refused = true;
              throw new Error('S3 GetObject 503 Slow Down');
            }
            return ports.blobs.get(k);
          },
        },
      }));
      const res = await invoke({ Records: records });
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: victim.messageId }]);
      expect((await world.state.getRun(world.runId))?.status).not.toBe('complete');
      expect((await invoke({ Records: [victim] })).batchItemFailures).toEqual([]);
      await expectExactlyOnce(world, 'partial failure, then the failed record again');
    });
  });

  it(
    'fetcher: dying at the first and last call of each port inside the invocation, then the shard message again, stages every page and loads each fill once',
    async () => {
      const fetcherOn = (world: HandlerWorld, sw: CrashSwitch) =>
        world.fetcher(({ state, blobs }) => ({ state: crashable(state, 'state', sw), blobs: crashable(blobs, 'blobs', sw) }));
      let points: CrashPoint[] = [];
      await withWorld(async (world) => {
        const sw = new CrashSwitch();
        await fetchAll(world, fetcherOn(world, sw));
        points = firstAndLast(sw.calls, () => true);
      });
      expect(points.length).toBeGreaterThan(6);

      for (const point of points) {
        await withWorld(async (world) => {
          const shards = await world.takeShardRecords();
          const sw = new CrashSwitch(point);
          const invoke = fetcherOn(world, sw);
          for (const r of shards) await invoke({ Records: [r] }).catch(() => undefined);
          expect(sw.fired, describePoint(point)).toBe(true);
          // Every shard message comes back (the dead process deleted none), to a fresh environment.
          const fresh = world.fetcher();
          for (const r of shards) expect((await fresh({ Records: [r] })).batchItemFailures, describePoint(point)).toEqual([]);
          await fetchAll(world, fresh);
          await expectContiguousObjects(world);
          expect((await world.loader()({ Records: await world.stagedRecords() })).batchItemFailures).toEqual([]);
          await expectExactlyOnce(world, describePoint(point));
        });
      }
    },
    LOOP_BOUND_MS,
  );
});
