import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { runAnalystSize, type AnalystSizeResult } from '#bench/parts/analyst/measure.ts';
import { ANALYST_QUERIES } from '#bench/parts/analyst/queries.ts';
import { analystTargets } from '#bench/parts/analyst/report.ts';

/**
 * The analyst part at smoke size: today's schema and the migrated one hold
 * the same fills, and every query returns the same rows on both. Timings are
 * the bench's business (`npm run bench -- --only analyst`), never asserted here.
 */
let client: ClickHouseClient;
let result: AnalystSizeResult;
beforeAll(async () => {
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-analyst-')));
  result = await runAnalystSize(client, { fills: 20_000, seed: 3, runs: 1, budgetMs: 0, log: () => undefined });
});
afterAll(() => client?.close());

describe('bench part analyst (smoke size)', () => {
  it('migrates the generated warehouse with every fill once', () => {
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.fills).toBe(20_000);
    expect(result.integrity).toEqual({ todayFinal: 20_000, next: 20_000, nextFinal: 20_000, nextDistinct: 20_000 });
    expect(result.disk.today?.rows).toBe(20_000);
    expect(result.disk.next.rows).toBe(20_000);
    expect(Object.keys(result.disk.next.projections).sort()).toEqual(['by_block', 'by_token']);
  });

  it('answers every query with the same rows on both designs', () => {
    expect(result.queries.map((q) => q.name)).toEqual(ANALYST_QUERIES.map((q) => q.name));
    for (const q of result.queries) {
      expect(q.equal, q.name).toBe(true);
      expect(q.rows, q.name).toBeGreaterThan(0);
    }
    expect(result.queries.find((q) => q.name === 'wallet-history')!.rows).toBe(Math.min(1000, result.subject.walletFills));
    expect(result.queries.find((q) => q.name === 'top-traders-month')!.rows).toBe(100);
  });

  it('says the targets at 100 M are not measured at smoke size', () => {
    expect(analystTargets([result]).map((t) => t.met)).toEqual([null, null]);
  });
});

describe('bench part analyst, one design at a time (a disk that holds one)', () => {
  it('builds the new design from the same seed with the same fills, and every query returns the same rows', async () => {
    // chDB binds one data directory per process: this runs on the same engine, after the side-by-side run.
    const r = await runAnalystSize(client, { fills: 10_000, seed: 3, runs: 1, budgetMs: 0, layout: 'one-at-a-time', log: () => undefined });
    expect(r.reason).toBeUndefined();
    expect(r.layout).toBe('one-at-a-time');
    expect(r.integrity).toEqual({ todayFinal: 10_000, next: 10_000, nextFinal: 10_000, nextDistinct: 10_000 });
    expect(r.disk.today?.rows).toBe(10_000);
    expect(r.queries.map((q) => q.name)).toEqual(ANALYST_QUERIES.map((q) => q.name));
    expect(r.queries.every((q) => q.equal && q.rows > 0)).toBe(true);
    const databases = await (await client.query({ query: 'SELECT name FROM system.databases', format: 'JSONEachRow' })).json<{ name: string }>();
    expect(databases.map((d) => d.name)).not.toContain('analyst_today');
  });
});

describe('bench part analyst, the new design alone', () => {
  it('generates every fill once into the new design and answers every query; the 100 M targets stay unjudged without today', async () => {
    const r = await runAnalystSize(client, { fills: 10_000, seed: 5, runs: 1, budgetMs: 0, layout: 'new-only', log: () => undefined });
    expect(r.reason).toBeUndefined();
    expect(r.integrity).toEqual({ todayFinal: 10_000, next: 10_000, nextFinal: 10_000, nextDistinct: 10_000 });
    expect(r.disk.today).toBeNull();
    expect(r.queries.map((q) => [q.name, q.today, q.equal])).toEqual(ANALYST_QUERIES.map((q) => [q.name, null, null]));
    expect(r.queries.every((q) => q.rows > 0)).toBe(true);
    const targets = analystTargets([{ ...r, spec: { ...r.spec, fills: 100_000_000 } }]);
    for (const t of targets) expect(t.measured).toContain("today's schema not measured");
    expect(targets.every((t) => t.met !== true)).toBe(true);
  });

  it('reuses data it kept for the same spec, regenerates for another, and measures the same fills either way (--analyst-data)', async () => {
    const logs: string[] = [];
    const run = (fills: number) =>
      runAnalystSize(client, { fills, seed: 7, runs: 1, budgetMs: 0, layout: 'new-only', reuseData: true, log: (l) => logs.push(l) });
    const first = await run(8_000);
    const again = await run(8_000);
    expect([first.reused, again.reused]).toEqual([false, true]);
    expect(again.integrity).toEqual(first.integrity);
    expect([again.migrateMs, again.mergeNextMs]).toEqual([Math.round(first.migrateMs), Math.round(first.mergeNextMs)]);
    expect(again.subject).toEqual(first.subject);
    expect(again.queries.map((q) => q.rows)).toEqual(first.queries.map((q) => q.rows));
    expect(logs.filter((l) => l.startsWith('reusing'))).toHaveLength(1);
    const other = await run(6_000);
    expect(other.reused).toBe(false);
    expect(other.integrity).toEqual({ todayFinal: 6_000, next: 6_000, nextFinal: 6_000, nextDistinct: 6_000 });
  });
});
