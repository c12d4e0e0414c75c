import type { ClickHouseClient } from '@clickhouse/client';
import { migrateUpTo } from '#adapters/clickhouse/migrations-at.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { analystDataSpec, generate, generatedFills, lastWholeMonth, type AnalystDataSpec } from './data.ts';
import { ANALYST_QUERIES, type Subject } from './queries.ts';

/**
 * One size of the analyst part, on one engine: today's schema (version 4) in
 * one database, filled with synthetic fills; the same parts hard-linked into a
 * second database at version 4, which `migrate` then takes to the new design
 * (the migration users run, timed); both merged; then every query on both,
 * each result compared. When the disk cannot hold both designs, they are
 * built one after the other instead (`layout`).
 */
export const TODAY_DB = 'analyst_today';
export const NEXT_DB = 'analyst_next';
export const TODAY_VERSION = 4;

export interface AnalystRunOptions {
  fills: number;
  seed: number;
  /** Measured runs per query and design (after one unmeasured run whose rows are compared). */
  runs: number;
  /** A query stops repeating once it has run this long in total (after at least 3 runs). */
  budgetMs: number;
  /**
   * `both`: the designs side by side, the new one reached by `migrate` from a
   * hard-linked copy of today's (the migration is timed). `one-at-a-time`:
   * for a disk that cannot hold both (100 M fills take about 40 GB a design):
   * today's is generated, measured and dropped, then the new design is
   * generated directly from the same seed, so the two hold the same fills;
   * the migration is not run at this size. `new-only`: only the new design is
   * generated and measured (today's queries read every fill, so at 100 M they
   * take minutes each); the rows are not compared at this size.
   */
  layout?: AnalystLayout;
  log(line: string): void;
}

export type AnalystLayout = 'both' | 'one-at-a-time' | 'new-only';

export interface Timing {
  runs: number;
  p50: number;
  p95: number;
}
export interface QueryFigures {
  name: string;
  title: string;
  rows: number;
  /** Null when today's schema was not measured (`new-only`). */
  equal: boolean | null;
  today: Timing | null;
  next: Timing;
}
export interface DiskFigures {
  rows: number;
  bytes: number;
  projections: Record<string, number>;
}
export interface AnalystSizeResult {
  spec: AnalystDataSpec;
  fills: number;
  layout: AnalystLayout;
  /** Today's schema (0 when `new-only`). */
  generateMs: number;
  mergeTodayMs: number;
  /** `both`: the migration's time; `one-at-a-time`: generating the new design directly. */
  migrateMs: number;
  mergeNextMs: number;
  subject: Subject & { walletFills: number; marketFills: number };
  /** `todayFinal` is the generated count when today's schema was not built. */
  integrity: { todayFinal: number; next: number; nextFinal: number; nextDistinct: number };
  disk: { today: DiskFigures | null; next: DiskFigures };
  queries: QueryFigures[];
  ok: boolean;
  reason?: string;
}

const n = (x: number) => x.toLocaleString('en-US');

async function rows<T = Record<string, unknown>>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await (await client.query({ query, format: 'JSONEachRow' })).json()) as T[];
}
const num = async (client: ClickHouseClient, query: string) => Number(Object.values((await rows(client, query))[0] ?? { n: 0 })[0]);

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
};

async function repeat(client: ClickHouseClient, sql: string, o: AnalystRunOptions): Promise<{ result: unknown[]; timing: Timing }> {
  const [result] = await timed(() => rows(client, sql));
  const times: number[] = [];
  let total = 0;
  while (times.length < o.runs && !(times.length >= 3 && total >= o.budgetMs)) {
    const [, ms] = await timed(() => rows(client, sql));
    times.push(ms);
    total += ms;
  }
  return { result, timing: { runs: times.length, p50: percentile(times, 0.5), p95: percentile(times, 0.95) } };
}

async function disk(client: ClickHouseClient, db: string): Promise<DiskFigures> {
  const [t] = await rows<{ rows: string; bytes: string }>(
    client,
    `SELECT sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts WHERE database = '${db}' AND table = 'fills' AND active`,
  );
  const p = await rows<{ name: string; bytes: string }>(
    client,
    `SELECT name, sum(bytes_on_disk) AS bytes FROM system.projection_parts WHERE database = '${db}' AND table = 'fills' AND active GROUP BY name ORDER BY name`,
  );
  return { rows: Number(t!.rows), bytes: Number(t!.bytes), projections: Object.fromEntries(p.map((x) => [x.name, Number(x.bytes)])) };
}

/** The new design's fills: stored rows, `FINAL` and distinct ids (all three equal when each fill is there once). */
async function newDesignCounts(client: ClickHouseClient): Promise<{ next: number; nextFinal: number; nextDistinct: number }> {
  return {
    next: await num(client, `SELECT count() FROM ${NEXT_DB}.fills`),
    nextFinal: await num(client, `SELECT count() FROM ${NEXT_DB}.fills FINAL`),
    nextDistinct: await num(client, `SELECT uniqExact(fill_id) FROM ${NEXT_DB}.fills`),
  };
}

/** The new design built directly (no migration): the spec's fills generated into it, then merged. Returns [generate, merge] ms. */
async function generateNewDesign(client: ClickHouseClient, spec: AnalystDataSpec, o: AnalystRunOptions): Promise<[number, number]> {
  await migrate(client, NEXT_DB);
  const [, generateMs] = await timed(() => generate(client, NEXT_DB, spec, o.log));
  const [, mergeMs] = await timed(() => client.command({ query: `OPTIMIZE TABLE ${NEXT_DB}.fills FINAL` }));
  o.log(`generated into the new design in ${(generateMs / 1000).toFixed(1)} s, merged in ${(mergeMs / 1000).toFixed(1)} s`);
  return [generateMs, mergeMs];
}

/** Marks the result failed, keeping the reasons found before. */
function addFailure(result: AnalystSizeResult, reason: string): void {
  Object.assign(result, { ok: false, reason: result.reason ? `${result.reason}; ${reason}` : reason });
}

/** The 10th busiest wallet (as maker) and the market of the 10th busiest token: heavy but not the single heaviest. */
async function pickSubject(client: ClickHouseClient, db: string, spec: AnalystDataSpec): Promise<AnalystSizeResult['subject']> {
  const [w] = await rows<{ maker: string; n: string }>(
    client,
    `SELECT maker, count() AS n FROM ${db}.fills GROUP BY maker ORDER BY n DESC, maker LIMIT 1 OFFSET 9`,
  );
  const [m] = await rows<{ slug: string; n: string }>(
    client,
    `SELECT m.slug AS slug, sum(f.n) AS n
     FROM (SELECT token_id, count() AS n FROM ${db}.fills GROUP BY token_id) AS f
     INNER JOIN ${db}.market_tokens AS t ON t.token_id = f.token_id
     INNER JOIN (SELECT condition_id, slug FROM ${db}.markets FINAL) AS m ON m.condition_id = t.condition_id
     GROUP BY slug ORDER BY n DESC, slug LIMIT 1 OFFSET 9`,
  );
  return { wallet: w!.maker, walletFills: Number(w!.n), slug: m!.slug, marketFills: Number(m!.n), ...lastWholeMonth(spec) };
}

export async function runAnalystSize(client: ClickHouseClient, o: AnalystRunOptions): Promise<AnalystSizeResult> {
  const layout = o.layout ?? 'both';
  if (layout === 'new-only') return runNewDesignOnly(client, o);
  const spec = analystDataSpec(o.fills, o.seed);
  for (const db of [TODAY_DB, NEXT_DB]) await client.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
  await migrateUpTo(client, TODAY_DB, TODAY_VERSION);
  o.log(`generating ${n(spec.fills)} fills over ${n(spec.markets)} markets and ${n(spec.wallets)} wallets in the engine`);
  const [, generateMs] = await timed(() => generate(client, TODAY_DB, spec, o.log));
  const [, mergeTodayMs] = await timed(() => client.command({ query: `OPTIMIZE TABLE ${TODAY_DB}.fills FINAL` }));
  o.log(`generated in ${(generateMs / 1000).toFixed(1)} s, merged in ${(mergeTodayMs / 1000).toFixed(1)} s`);

  let migrateMs = 0;
  let mergeNextMs = 0;
  if (layout === 'both') [migrateMs, mergeNextMs] = await migrateHardLinkedCopy(client, o);
  const todayFinal = await num(client, `SELECT count() FROM ${TODAY_DB}.fills FINAL`);
  const subject = await pickSubject(client, layout === 'both' ? NEXT_DB : TODAY_DB, spec);
  o.log(`wallet ${subject.wallet} (${n(subject.walletFills)} fills), market ${subject.slug} (${n(subject.marketFills)} fills)`);

  const todayRuns: Awaited<ReturnType<typeof repeat>>[] = [];
  const nextRuns: Awaited<ReturnType<typeof repeat>>[] = [];
  let todayDisk: DiskFigures;
  if (layout === 'both') {
    for (const q of ANALYST_QUERIES) {
      todayRuns.push(await repeat(client, q.today(TODAY_DB, subject), o));
      nextRuns.push(await repeat(client, q.next(NEXT_DB, subject), o));
    }
    todayDisk = await disk(client, TODAY_DB);
  } else {
    for (const q of ANALYST_QUERIES) {
      todayRuns.push(await repeat(client, q.today(TODAY_DB, subject), o));
      o.log(`${q.name}: today p50 ${todayRuns.at(-1)!.timing.p50.toFixed(0)} ms`);
    }
    todayDisk = await disk(client, TODAY_DB);
    await client.command({ query: `DROP DATABASE ${TODAY_DB} SYNC` });
    o.log(`today's schema measured and dropped; generating the same fills into the new design`);
    [migrateMs, mergeNextMs] = await generateNewDesign(client, spec, o);
    for (const q of ANALYST_QUERIES) nextRuns.push(await repeat(client, q.next(NEXT_DB, subject), o));
  }

  const integrity = { todayFinal, ...(await newDesignCounts(client)) };
  const result: AnalystSizeResult = {
    spec,
    layout,
    fills: integrity.todayFinal,
    generateMs,
    mergeTodayMs,
    migrateMs,
    mergeNextMs,
    subject,
    integrity,
    disk: { today: todayDisk, next: await disk(client, NEXT_DB) },
    queries: [],
    ok: true,
  };
  const fail = (reason: string) => addFailure(result, reason);
  const { next, nextFinal, nextDistinct } = integrity;
  if (!(todayFinal === next && next === nextFinal && nextFinal === nextDistinct))
    fail(`fills: ${todayFinal} in today's schema, ${next} rows, ${nextFinal} FINAL, ${nextDistinct} distinct in the new design`);

  ANALYST_QUERIES.forEach((q, k) => {
    const today = todayRuns[k]!;
    const nextRun = nextRuns[k]!;
    const equal = JSON.stringify(today.result) === JSON.stringify(nextRun.result);
    if (!equal) fail(`${q.name}: the designs return different rows`);
    if (today.result.length === 0) fail(`${q.name}: no rows`);
    result.queries.push({ name: q.name, title: q.title, rows: today.result.length, equal, today: today.timing, next: nextRun.timing });
    o.log(`${q.name}: today p50 ${today.timing.p50.toFixed(0)} ms, new p50 ${nextRun.timing.p50.toFixed(1)} ms, ${today.result.length} rows, equal ${equal}`);
  });
  return result;
}

/** The new design as users reach it: a hard-linked copy of today's warehouse taken through `migrate`, then merged. */
async function migrateHardLinkedCopy(client: ClickHouseClient, o: AnalystRunOptions): Promise<[number, number]> {
  await migrateUpTo(client, NEXT_DB, TODAY_VERSION);
  const partitions = await rows<{ p: string }>(
    client,
    `SELECT DISTINCT partition_id AS p FROM system.parts WHERE database = '${TODAY_DB}' AND table = 'fills' AND active ORDER BY p`,
  );
  for (const { p } of partitions) await client.command({ query: `ALTER TABLE ${NEXT_DB}.fills ATTACH PARTITION ID '${p}' FROM ${TODAY_DB}.fills` });
  for (const table of ['markets', 'token_claims']) await client.command({ query: `INSERT INTO ${NEXT_DB}.${table} SELECT * FROM ${TODAY_DB}.${table}` });
  const [, migrateMs] = await timed(() => migrate(client, NEXT_DB));
  const [, mergeNextMs] = await timed(() => client.command({ query: `OPTIMIZE TABLE ${NEXT_DB}.fills FINAL` }));
  o.log(`migrated to the new design in ${(migrateMs / 1000).toFixed(1)} s, merged in ${(mergeNextMs / 1000).toFixed(1)} s`);
  return [migrateMs, mergeNextMs];
}

/** The new design alone, generated directly: its figures at a size where today's schema would take hours. */
async function runNewDesignOnly(client: ClickHouseClient, o: AnalystRunOptions): Promise<AnalystSizeResult> {
  const spec = analystDataSpec(o.fills, o.seed);
  for (const db of [TODAY_DB, NEXT_DB]) await client.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
  o.log(`generating ${n(spec.fills)} fills over ${n(spec.markets)} markets and ${n(spec.wallets)} wallets straight into the new design`);
  const [generateNextMs, mergeNextMs] = await generateNewDesign(client, spec, o);
  const subject = await pickSubject(client, NEXT_DB, spec);
  o.log(`wallet ${subject.wallet} (${n(subject.walletFills)} fills), market ${subject.slug} (${n(subject.marketFills)} fills)`);
  const result: AnalystSizeResult = {
    spec,
    layout: 'new-only',
    fills: generatedFills(spec),
    generateMs: 0,
    mergeTodayMs: 0,
    migrateMs: generateNextMs,
    mergeNextMs,
    subject,
    integrity: { todayFinal: generatedFills(spec), ...(await newDesignCounts(client)) },
    disk: { today: null, next: await disk(client, NEXT_DB) },
    queries: [],
    ok: true,
  };
  const { todayFinal, next, nextFinal, nextDistinct } = result.integrity;
  if (!(todayFinal === next && next === nextFinal && nextFinal === nextDistinct))
    addFailure(result, `fills: ${todayFinal} generated, ${next} rows, ${nextFinal} FINAL, ${nextDistinct} distinct`);
  for (const q of ANALYST_QUERIES) {
    const run = await repeat(client, q.next(NEXT_DB, subject), o);
    if (run.result.length === 0) addFailure(result, `${q.name}: no rows`);
    result.queries.push({ name: q.name, title: q.title, rows: run.result.length, equal: null, today: null, next: run.timing });
    o.log(`${q.name}: new p50 ${run.timing.p50.toFixed(1)} ms, ${run.result.length} rows`);
  }
  return result;
}
