import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { datasetTotals, generateDataset, startSimulatedSources, type Dataset, type SimulatedSources } from '#simulator/index.ts';
import { createSubgraphSource } from '#shared/sources/subgraph/index.ts';
import { createMarketsSource } from '#shared/sources/markets/index.ts';
import type { AnySource } from '#shared/sources/source.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { copyMigratedSchema } from '#test/support/schema-copy.ts';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { startLocalAws } from '#local/emulators.ts';
import { describePoint, type CrashPoint } from './support/crash.ts';
import { Scheduler } from './support/schedule.ts';
import { STAGING_PREFIX } from '#shared/pipeline/messages.ts';
import { clientOnPath, fillInsertsOverHttp, type PathClient, type WarehousePath } from './support/warehouse-path.ts';

/**
 * Invariant 1 and 2 at every boundary where state changes: the process dies
 * there, later schedules run again, and the warehouse ends with exactly the
 * source's fills, without duplicates even before merges (no FINAL needed).
 */
const FILLS = 1_000;
/** Test slots; the crash points (computed in beforeAll) fill them in order. */
const SLOTS = 64;
const MARKETS = 12;
/**
 * Two months of fills: inserts still cross a monthly partition (one
 * deduplication token over several parts), without the parts per insert of a
 * longer span, each written with its projections, which were most of this
 * file's time (four months took 82 s of inserts on the embedded path, two 25 s).
 */
const FIRST_FILL = Date.UTC(2023, 0, 2) / 1000;
const LAST_FILL = Date.UTC(2023, 1, 27) / 1000;

/** Methods that change durable state, or acknowledge work, or sit between two pages. */
const WRITES = [
  'state.putShard',
  'state.openRun',
  'shardQueue.send',
  'state.setRunStatus',
  'state.releaseLease',
  'source.fetchPage',
  'blobs.put',
  'state.advanceShard',
  'sqs.ackShard',
  'clickhouse.exec',
  'state.markLoaded',
  'state.recordLoad',
  'state.completeRun',
  'sqs.ackLoad',
];

/** Methods called many times in a run, where dying mid-shard or mid-run differs from the first and last call. */
const MIDDLE = ['source.fetchPage', 'blobs.put', 'state.advanceShard', 'clickhouse.exec', 'state.markLoaded'];

/**
 * Over HTTP the points that touch ClickHouse run again: the insert itself,
 * and the loader's steps after it, where a retry repeats the insert's token
 * over the wire. The rest are the same code on both paths; running all of
 * them twice would double the file's minutes for nothing the transport changes.
 */
const CRASH_TWICE = [
  ['a fetcher mid-shard, then the resume right after re-enqueueing', 'state.advanceShard', 3, 'shardQueue.send', 'after'],
  ['an insert not acknowledged, then the resume right after re-announcing', 'clickhouse.exec', 2, 'loadQueue.announce', 'after'],
  ['a put without its checkpoint, then the resume before re-announcing', 'blobs.put', 2, 'loadQueue.announce', 'before'],
  ['the planner after opening the run, then the resume after marking it enqueued', 'state.openRun', 1, 'state.setRunStatus', 'after'],
] as const;

const LOADER_WRITES = new Set(['clickhouse.exec', 'state.markLoaded', 'state.recordLoad', 'sqs.ackLoad']);
const CRASH_TWICE_OVER_HTTP = new Set(['clickhouse.exec']);
const PATHS: Array<{ path: WarehousePath; slots: number; covers: (at: string) => boolean }> = [
  { path: 'embedded', slots: SLOTS, covers: () => true },
  { path: 'http', slots: 24, covers: (at) => LOADER_WRITES.has(at) },
];

let dir: string;
let embedded: ClickHouseClient;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pmsync-crash-'));
  embedded = embeddedClient(dir);
});
afterAll(async () => {
  await embedded?.close();
});

describe.each(PATHS)('crash points ($path): the process dies at a state change, the schedule runs again, the result is exact', ({ path, slots, covers }) => {
  let pathClient: PathClient;
  let client: ClickHouseClient;
  let dataset: Dataset;
  let sim: SimulatedSources;
  let dbSeq = 0;
  /** Migrated once; each world's database is a copy of it. */
  const template = `crash_${path}_template`;
  const points: CrashPoint[] = [];

  const sources = () => ({
    markets: createMarketsSource({ url: sim.marketsUrl, timeoutMs: 10_000, maxRetries: 2 }) as AnySource,
    subgraph: createSubgraphSource({ url: sim.subgraphUrl, timeoutMs: 10_000, maxRetries: 2, pageSize: 100, targetRowsPerShard: 400 }) as AnySource,
  });

  async function world() {
    const database = `crash_${path}_${++dbSeq}`;
    await copyMigratedSchema(client, template, database);
    const aws = await startLocalAws({});
    const scheduler = new Scheduler({ aws, client, database, sources, pagesPerObject: 2 });
    return { database, aws, scheduler };
  }

  async function one<T>(sql: string): Promise<T> {
    return ((await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[])[0]!;
  }

  async function expectExact(database: string) {
    const totals = datasetTotals(dataset);
    const row = await one<{ n: string; final: string; distinct: string; maker: string; markets: string }>(
      `SELECT count() AS n, (SELECT count() FROM ${database}.fills FINAL) AS final, uniqExact(fill_id) AS distinct,
              toString(sum(maker_amount_filled)) AS maker, (SELECT count() FROM ${database}.markets FINAL) AS markets
       FROM ${database}.fills`,
    );
    expect({ n: Number(row.n), final: Number(row.final), distinct: Number(row.distinct), maker: BigInt(row.maker) }).toEqual({
      n: totals.count,
      final: totals.count,
      distinct: totals.count,
      maker: totals.makerAmountFilled,
    });
    expect(Number(row.markets)).toBe(MARKETS);
  }

  beforeAll(async () => {
    pathClient = await clientOnPath(path, embedded);
    client = pathClient.client;
    dataset = generateDataset({ seed: 5, markets: MARKETS, fills: FILLS, burst: { size: 300 }, startTime: FIRST_FILL, endTime: LAST_FILL });
    sim = await startSimulatedSources({ dataset });
    await migrate(client, template);

    // A clean schedule counts how often each method runs; the crash points are its first, middle and last calls.
    const w = await world();
    try {
      const clean = await w.scheduler.runUntilComplete(undefined);
      expect(clean.crashes).toBe(0);
      await expectExact(w.database);
      // Some insert makes parts in two partitions under its one token.
      const spanning = await one<{ n: string }>(
        `SELECT countIf(months > 1) AS n FROM (SELECT staged_object, uniqExact(toYYYYMM(timestamp)) AS months FROM ${w.database}.fills GROUP BY staged_object)`,
      );
      expect(Number(spanning.n)).toBeGreaterThan(0);
      for (const at of WRITES) {
        const calls = clean.calls.get(at) ?? 0;
        expect(calls, at).toBeGreaterThan(0);
        if (!covers(at)) continue;
        const middle = MIDDLE.includes(at) ? [Math.ceil(calls / 2)] : [];
        for (const n of new Set([1, ...middle, calls])) {
          for (const when of ['before', 'after'] as const) {
            // Dying before the first page is dying before anything: the "after" of a page is the interesting side.
            if (at === 'source.fetchPage' && when === 'before') continue;
            points.push({ at, n, when });
          }
        }
      }
    } finally {
      await w.aws.stop();
    }
  });
  afterAll(async () => {
    await sim?.close();
    await pathClient?.close();
  });

  it('has crash points for every state change of a run it covers', () => {
    expect(points.length).toBeGreaterThanOrEqual(WRITES.filter(covers).length * 2);
    expect(points.length).toBeLessThanOrEqual(slots);
    expect(new Set(points.map((p) => p.at))).toEqual(new Set(WRITES.filter(covers)));
  });

  // Only the HTTP path has a wire to look at: the embedded path has no such test (registered, never skipped).
  if (path === 'http') {
    it('sends every insert over HTTP with its own deduplication token', () => {
      const inserts = fillInsertsOverHttp(pathClient.front!, 'crash_http_1');
      expect(inserts.length).toBeGreaterThan(0);
      expect(inserts.every((i) => i.status === 200 && i.token?.startsWith(STAGING_PREFIX))).toBe(true);
      expect(new Set(inserts.map((i) => i.token)).size).toBe(inserts.length);
    });
  }

  async function crashAndRecover(point: CrashPoint | CrashPoint[]) {
    const label = [point].flat().map(describePoint).join(', then ');
    const w = await world();
    try {
      const report = await w.scheduler.runUntilComplete(point, async () => {
        // Invariant 2: a watermark that exists covers only fills already in ClickHouse.
        const wm = (await w.scheduler.state.getWatermarks()).subgraph;
        if (wm) {
          const covered = dataset.fills.filter((f) => f.timestamp <= Number(wm.value)).length;
          const row = await one<{ n: string }>(`SELECT count() AS n FROM ${w.database}.fills FINAL WHERE toUnixTimestamp(timestamp) <= ${Number(wm.value)}`);
          expect(Number(row.n), `watermark after ${label}`).toBe(covered);
        }
      });
      expect(report.fired, label).toBe(true);
      expect(await w.scheduler.state.getOpenRunId(), label).toBeNull();
      await expectExact(w.database);
      const wm = (await w.scheduler.state.getWatermarks()).subgraph;
      expect(Number(wm?.value)).toBe(Math.max(...dataset.fills.map((f) => f.timestamp)));
    } finally {
      await w.aws.stop();
    }
  }

  it.each(Array.from({ length: slots }, (_, i) => i))('crash point %i', async (i) => {
    const point = points[i];
    if (point) await crashAndRecover(point);
  });

  // The next schedule resumes the open run (re-enqueues unfinished shards, re-announces unloaded
  // objects); these die a second time in the middle of that.
  it.each(CRASH_TWICE.filter(([, at]) => path === 'embedded' || CRASH_TWICE_OVER_HTTP.has(at)))('crash twice: %s', async (_label, at, n, resumeAt, when) => {
    await crashAndRecover([
      { at, n, when: 'after' },
      { at: resumeAt, n: 1, when },
    ]);
  });
});
