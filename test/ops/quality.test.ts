import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { runChecks, type QualityInputs, type QualityReport } from '#shared/ops/quality/run.ts';
import { formatReport } from '#shared/ops/quality/format.ts';
import type { CheckName } from '#shared/ops/quality/types.ts';
import {
  CONDITIONS,
  END,
  FILL_TIMES,
  GENESIS,
  PAGE_BLOCKS,
  SEAM,
  SPARE_TOKEN,
  STEP,
  TOKENS,
  UNKNOWN_TOKEN,
  WATERMARK,
  fillAt,
  insert,
  mutate,
  seedClean,
  tokenClaim,
} from './support/fixture.ts';

/** Checks on a real engine: a clean warehouse passes, and each injected defect fails exactly the check that guards against it. */
let client: ClickHouseClient;
const NOW = END + 3600;
const inputs: QualityInputs = { chain: { genesis: GENESIS, watermark: WATERMARK }, record: 'check', now: NOW };

beforeAll(() => {
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-quality-')));
});
afterAll(() => client?.close());

let n = 0;
async function cleanDb(): Promise<string> {
  const db = `quality_${++n}`;
  await seedClean(client, db);
  return db;
}

const check = (db: string, extra: Partial<QualityInputs> = {}) => runChecks({ client, database: db }, { ...inputs, ...extra });
const failing = (r: QualityReport): CheckName[] => r.checks.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => c.name);
const result = (r: QualityReport, name: CheckName) => r.checks.find((c) => c.name === name)!;

describe('npm run check, the checks', () => {
  it('pass on a clean warehouse, every one of them', async () => {
    const db = await cleanDb();
    const r = await check(db);
    expect(r.checks.map((c) => [c.name, c.status])).toEqual([
      ['duplicates', 'pass'],
      ['ids', 'pass'],
      ['date-ranges', 'pass'],
      ['v1-v2-seam', 'pass'],
      ['chain-coverage', 'pass'],
      ['unmapped', 'pass'],
      ['daily-volume', 'pass'],
      ['rejects', 'pass'],
      ['token-conflicts', 'pass'],
      ['resolutions', 'pass'],
      ['attribution', 'skip'],
      ['mapping-count', 'pass'],
    ]);
    expect(r.ok).toBe(true);
    expect(result(r, 'duplicates').details).toMatchObject({ rows: FILL_TIMES.length, rowsFinal: FILL_TIMES.length, distinctIds: FILL_TIMES.length });
    expect(result(r, 'chain-coverage').details).toMatchObject({ checkedTo: WATERMARK.toString(), missingBlocks: '0', gaps: [] });
    const seam = result(r, 'v1-v2-seam').details as { gapSeconds: number; v1Last: string };
    expect(seam.gapSeconds).toBeGreaterThan(0);
    expect(seam.gapSeconds).toBeLessThanOrEqual(STEP);
    expect(Date.parse(seam.v1Last) / 1000).toBeLessThanOrEqual(SEAM);
    const daily = result(r, 'daily-volume').details as { to: string; days: { fills: number }[] };
    expect(daily.to).toBe('2026-05-05');
    expect(daily.days.at(-1)!.fills).toBe(200);
    expect(formatReport(r)).toMatch(/all checks passed$/);
  });

  it('fail "duplicates" on a second copy of a fill, and on one fill id under two months', async () => {
    const db = await cleanDb();
    // A background merge would fold the copy away mid-test (stopped merges also stop mutations: only here).
    await client.command({ query: `SYSTEM STOP MERGES ${db}.fills` });
    await insert(client, `${db}.fills`, [fillAt(10, { staged: 'staged/replayed/again' })]);
    let r = await check(db);
    expect(failing(r)).toEqual(['duplicates']);
    expect(result(r, 'duplicates').summary).toMatch(/count\(\) 3,\d+ vs count\(\) FINAL 3,\d+: 1 extra copies/);
    expect(result(r, 'duplicates').details).toMatchObject({ examples: [{ fill_id: fillAt(10).fill_id, copies: 2, timestamps: 1 }] });

    const other = await cleanDb();
    // The same id a month later: a different partition, so FINAL keeps both.
    await insert(client, `${other}.fills`, [{ ...fillAt(20), timestamp: fillAt(20).timestamp - 30 * 86_400 }]);
    r = await check(other);
    expect(failing(r)).toEqual(['duplicates']);
    expect(result(r, 'duplicates').summary).toMatch(/1 fill id\(s\) stored under different timestamps/);
  });

  it('fail "chain-coverage" on a skipped block range, naming the blocks', async () => {
    const db = await cleanDb();
    const lost = GENESIS + 5n * PAGE_BLOCKS;
    await mutate(client, `ALTER TABLE ${db}.chain_coverage DELETE WHERE from_block = ${lost}`);
    const r = await check(db);
    expect(failing(r)).toEqual(['chain-coverage']);
    expect(result(r, 'chain-coverage').details).toMatchObject({
      missingBlocks: '1000',
      gaps: [{ from: lost.toString(), to: (lost + PAGE_BLOCKS - 1n).toString(), blocks: '1000' }],
    });
    expect(formatReport(r)).toContain(`${lost}..${lost + PAGE_BLOCKS - 1n} (1000)`);
  });

  it('fail "chain-coverage" when the watermark is past the last block read, and find holes without a watermark', async () => {
    const db = await cleanDb();
    let r = await check(db, { chain: { genesis: GENESIS - 10n, watermark: WATERMARK + 500n } });
    expect(failing(r)).toEqual(['chain-coverage']);
    expect((result(r, 'chain-coverage').details as { gaps: unknown[] }).gaps).toEqual([
      { from: (GENESIS - 10n).toString(), to: (GENESIS - 1n).toString(), blocks: '10' },
      { from: (WATERMARK + 1n).toString(), to: (WATERMARK + 500n).toString(), blocks: '500' },
    ]);
    await mutate(client, `ALTER TABLE ${db}.chain_coverage DELETE WHERE from_block = ${GENESIS + PAGE_BLOCKS}`);
    r = await check(db, { chain: { genesis: GENESIS, watermark: null }, only: ['chain-coverage'] });
    expect(result(r, 'chain-coverage')).toMatchObject({
      status: 'fail',
      details: { watermarkKnown: false, checkedTo: WATERMARK.toString(), missingBlocks: '1000' },
    });
  });

  it('"chain-coverage" after `sync --since`: starts where it started until a backfill has read a block before it', async () => {
    const db = await cleanDb();
    // The bounded start left the first five pages out on purpose.
    const from = GENESIS + 5n * PAGE_BLOCKS;
    await mutate(client, `ALTER TABLE ${db}.chain_coverage DELETE WHERE from_block < ${from}`);
    const since = '2026-04-20T00:00:00Z';
    const chain = { genesis: GENESIS, watermark: WATERMARK };
    let r = await check(db, { chain: { ...chain, loadedFrom: { block: from, since } }, only: ['chain-coverage'] });
    expect(result(r, 'chain-coverage')).toMatchObject({ status: 'pass', details: { checkedFrom: from.toString(), missingBlocks: '0' } });
    expect(result(r, 'chain-coverage').summary).toBe(
      `blocks ${from}..${WATERMARK} all read (${(WATERMARK - from + 1n) / PAGE_BLOCKS} page ranges), up to the watermark ${WATERMARK}; ` +
        `blocks ${GENESIS}..${from - 1n}, before ${since}, are not loaded yet: \`sync --since\` left them for a backfill (\`sync --from … --to ${since}\`)`,
    );
    // Without the record of where --since started, the same data is a gap.
    r = await check(db, { chain, only: ['chain-coverage'] });
    expect(result(r, 'chain-coverage')).toMatchObject({
      status: 'fail',
      details: { checkedFrom: GENESIS.toString(), missingBlocks: (from - GENESIS).toString() },
    });
    // A bounded start after the real first block is still held to every block from where it started.
    await mutate(client, `ALTER TABLE ${db}.chain_coverage DELETE WHERE from_block = ${from + PAGE_BLOCKS}`);
    r = await check(db, { chain: { ...chain, loadedFrom: { block: from, since } }, only: ['chain-coverage'] });
    expect(result(r, 'chain-coverage')).toMatchObject({ status: 'fail', details: { missingBlocks: PAGE_BLOCKS.toString() } });
    // Once a backfill has read a block before it, the whole range from the genesis is checked again: its gaps are real.
    await insert(client, `${db}.chain_coverage`, [{ from_block: Number(GENESIS), to_block: Number(GENESIS + PAGE_BLOCKS - 1n) }]);
    r = await check(db, { chain: { ...chain, loadedFrom: { block: from, since } }, only: ['chain-coverage'] });
    expect(result(r, 'chain-coverage')).toMatchObject({
      status: 'fail',
      // Pages 1 to 4 before the start, and the one removed after it.
      details: { checkedFrom: GENESIS.toString(), missingBlocks: (5n * PAGE_BLOCKS).toString() },
    });
  });

  it('fail "v1-v2-seam" on a gap between the eras, and on an overlap', async () => {
    const db = await cleanDb();
    await mutate(client, `ALTER TABLE ${db}.fills DELETE WHERE source = 'chain' AND timestamp < toDateTime(${SEAM + 2 * 3600}, 'UTC')`);
    let r = await check(db);
    expect(failing(r)).toEqual(['v1-v2-seam']);
    expect(result(r, 'v1-v2-seam').summary).toMatch(
      /^gap of 7,\d+ s between V1's last fill 2026-04-28T10:55:12Z and V2's first 2026-04-28T13:0\d:\d\dZ \(allowed 3,600 s\)$/,
    );

    const other = await cleanDb();
    // A V1 fill an hour after V2 started: one era read past its end.
    await insert(client, `${other}.fills`, [
      { ...fillAt(0), fill_id: `${fillAt(0).transaction_hash}_0x${'e'.repeat(64)}`, order_hash: `0x${'e'.repeat(64)}`, timestamp: SEAM + 3600 },
    ]);
    r = await check(other);
    expect(failing(r)).toEqual(['v1-v2-seam']);
    expect(result(r, 'v1-v2-seam').details).toMatchObject({ v1FillsAfterV2First: 1 });
    expect(result(r, 'v1-v2-seam').summary).toMatch(/^eras overlap by/);
  });

  it('fail "daily-volume" on a day with 60% fewer fills than the day before', async () => {
    const db = await cleanDb();
    const day = Date.UTC(2026, 4, 4) / 1000;
    // Three grid points in every five: exactly 60% of the day.
    await mutate(
      client,
      `ALTER TABLE ${db}.fills DELETE WHERE toDate(timestamp) = toDate(toDateTime(${day}, 'UTC')) AND intDiv(toUnixTimestamp(timestamp) - ${FILL_TIMES[0]}, ${STEP}) % 5 < 3`,
    );
    const r = await check(db);
    expect(failing(r)).toEqual(['daily-volume']);
    expect(result(r, 'daily-volume').details).toMatchObject({ drops: [{ day: '2026-05-04', previousDay: '2026-05-03', previous: 200, fills: 80, drop: 0.6 }] });
    expect(formatReport(r)).toContain('2026-05-04: 80 fills after 200 (-60.0%)');
  });

  it('fail "unmapped" on a spike of fills whose token no source maps, listing the token', async () => {
    const db = await cleanDb();
    const spike = Array.from({ length: 150 }, (_, i) => fillAt(100_000 + i, { t: END - 3600 + i, token: UNKNOWN_TOKEN }));
    await insert(client, `${db}.fills`, spike);
    const r = await check(db);
    expect(failing(r)).toEqual(['unmapped']);
    const d = result(r, 'unmapped').details as {
      overall: { unmapped: number; share: number };
      recent: { share: number };
      top: { token_id: string; fills: number }[];
    };
    expect(d.overall.unmapped).toBe(150);
    // Diluted over all history it stays under 5%; the last 7 days show it.
    expect(d.overall.share).toBeLessThan(0.05);
    expect(d.recent.share).toBeGreaterThan(0.05);
    expect(d.top).toEqual([expect.objectContaining({ token_id: UNKNOWN_TOKEN, fills: 150 })]);
  });

  it('fail "mapping-count" when market_tokens maps fewer tokens than at the previous run', async () => {
    const db = await cleanDb();
    expect((await check(db)).ok).toBe(true);
    await mutate(client, `ALTER TABLE ${db}.token_claims DELETE WHERE token_id = toUInt256('${SPARE_TOKEN}')`);
    const r = await check(db);
    expect(failing(r)).toEqual(['mapping-count']);
    expect(result(r, 'mapping-count').details).toMatchObject({ marketTokens: 4, lost: 1, previous: { takenBy: 'check', marketTokens: 5 } });
    // The shrunken count is now the snapshot to beat: the next run passes unless it shrinks again.
    expect(failing(await check(db))).toEqual([]);
  });

  it('fail "token-conflicts" when two sources claim one token for different conditions', async () => {
    const db = await cleanDb();
    await insert(client, `${db}.token_claims`, [tokenClaim(TOKENS[0]!, 'gamma', `0x${'f'.repeat(64)}`, 0)]);
    const r = await check(db);
    expect(failing(r)).toEqual(['token-conflicts']);
    expect(result(r, 'token-conflicts').details).toMatchObject({
      conflicts: 1,
      examples: [{ token_id: TOKENS[0], conditionDiffers: true, outcomeDiffers: false }],
    });
  });

  it('fail "resolutions" when a CLOB winner flag contradicts the payouts on chain', async () => {
    const db = await cleanDb();
    expect(result(await check(db), 'resolutions')).toMatchObject({ status: 'pass', details: { compared: 2, disagreements: 0 } });
    // The list now calls the losing outcome a winner too.
    await insert(client, `${db}.token_claims`, [tokenClaim(TOKENS[1]!, 'clob', CONDITIONS[0]!, 1, true)]);
    const r = await check(db);
    expect(failing(r)).toEqual(['resolutions']);
    expect(result(r, 'resolutions').details).toMatchObject({
      compared: 2,
      disagreements: 1,
      examples: [{ token_id: TOKENS[1], outcome_index: 1, clob_winner: true, payout_numerators: ['1', '0'] }],
    });
  });

  it('fail "ids" on an empty or malformed id, and warn on rejects by reason', async () => {
    const db = await cleanDb();
    await insert(client, `${db}.fills`, [
      { ...fillAt(200_000, { t: END - 60 }), fill_id: '' },
      { ...fillAt(200_001, { t: END - 60 }), fill_id: 'not-an-id' },
    ]);
    await insert(client, `${db}.rejects`, [
      { source: 'chain', reason: 'neither leg is USDC (asset id 0)', raw: '{}', staged_object: 'staged/fixture/v2' },
      { source: 'chain', reason: 'neither leg is USDC (asset id 0)', raw: '{"a":1}', staged_object: 'staged/fixture/v2' },
    ]);
    const r = await check(db);
    expect(failing(r)).toEqual(['ids']);
    expect(result(r, 'ids').summary).toBe('fills: 1 with empty fill_id; fills: 1 with fill_id not <transaction_hash>_<order_hash|log_index>');
    expect(result(r, 'rejects')).toMatchObject({
      status: 'warn',
      details: { total: 2, reasons: [{ source: 'chain', reason: 'neither leg is USDC (asset id 0)', rows: 2 }] },
    });
  });

  it('reports a check whose query fails as an error and still runs the rest', async () => {
    const db = await cleanDb();
    await client.command({ query: `DROP VIEW ${db}.token_conflicts` });
    const r = await check(db);
    expect(result(r, 'token-conflicts')).toMatchObject({ status: 'error', summary: expect.stringMatching(/^could not run: /) });
    expect(failing(r)).toEqual(['token-conflicts']);
    expect(r.ok).toBe(false);
  });
});
