import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { migrateUpTo } from '#adapters/clickhouse/migrations-at.ts';
import { FILLS_SORTING_KEY, FILLS_V4_COLUMNS, moveFillsToSortedTable } from '#adapters/clickhouse/migrations-v5.ts';
import { LATEST_SCHEMA_VERSION } from '#adapters/clickhouse/migrations.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { CONDITIONS, END, FILL_TIMES, TOKENS, UNKNOWN_TOKEN, fillAt, insert, insertExampleWalletActivity, tokenClaim } from '#test/ops/support/fixture.ts';

/**
 * A warehouse built by schema version 4 and populated (fills with copies not
 * yet merged, markets, claims, conditions, activity, positions, wallets,
 * rejected rows), taken to version 5 by two migrations at once: every row
 * stays, each fill once, and the example queries of docs/DATA.md answer as
 * before.
 */
const DOC = readFileSync(new URL('../../docs/DATA.md', import.meta.url), 'utf8');
/** Section 4's queries, which both versions answer (section 5's use the objects version 5 adds). */
const EXAMPLES = DOC.slice(DOC.indexOf('## 4. Example queries'), DOC.indexOf('## 5. '));
const QUERIES = [...EXAMPLES.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
const WALLET = '0x1111111111111111111111111111111111111111';
const SLUG = 'will-it-rain-in-london-on-may-5';

let client: ClickHouseClient;
beforeAll(() => {
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-migrate-v5-')));
});
afterAll(() => client?.close());

const rows = async (sql: string) => (await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as Record<string, unknown>[];
const one = async (sql: string) => (await rows(sql))[0]!;
const sorted = (xs: Record<string, unknown>[]) => xs.map((x) => JSON.stringify(x)).sort();

/** What users and the pipeline read: every table's rows, deduplicated where the engine deduplicates. */
async function snapshot(db: string) {
  const fillColumns = FILLS_V4_COLUMNS.join(', ');
  return {
    fills: await rows(`SELECT ${fillColumns} FROM ${db}.fills FINAL ORDER BY fill_id`),
    markets: await rows(`SELECT * FROM ${db}.markets FINAL ORDER BY condition_id`),
    claims: await rows(`SELECT * FROM ${db}.token_claims FINAL ORDER BY token_id, source`),
    rejects: sorted(await rows(`SELECT * FROM ${db}.rejects`)),
    conditions: await rows(`SELECT * FROM ${db}.conditions FINAL ORDER BY condition_id`),
    activity: await rows(`SELECT * FROM ${db}.activity FINAL ORDER BY event_id`),
    positions: await rows(`SELECT * FROM ${db}.positions FINAL ORDER BY wallet, token_id`),
    wallets: await rows(`SELECT * FROM ${db}.wallets FINAL ORDER BY proxy`),
    trades: await rows(`SELECT fill_id, condition_id, outcome, market_slug, is_mapped FROM ${db}.trades ORDER BY fill_id`),
    examples: await Promise.all(QUERIES.map(async (q) => sorted(await rows(q.replaceAll('polymarket.', `${db}.`))))),
  };
}

async function populate(db: string): Promise<void> {
  const grid = FILL_TIMES.map((_, k) => fillAt(k));
  const own = [0, 1, 2].map((i) => ({ ...fillAt(300_000 + i, { t: END - 86_400 + i * 600, token: TOKENS[0] }), maker: WALLET }));
  const taken = fillAt(300_010, { t: END - 3_600, token: TOKENS[0] });
  const fills = [...grid, ...own, { ...taken, maker: WALLET, taker: taken.exchange }, fillAt(300_020, { t: END - 60, token: UNKNOWN_TOKEN })];
  for (let i = 0; i < fills.length; i += 1_000) await insert(client, `${db}.fills`, fills.slice(i, i + 1_000));
  // A retried load's copies, not merged yet: another block (another staged object), the same fills.
  await insert(
    client,
    `${db}.fills`,
    fills.slice(0, 40).map((f) => ({ ...f, staged_object: 'staged/retry/v1' })),
  );
  const claims = TOKENS.flatMap((token, i) => [
    tokenClaim(token, 'registry', CONDITIONS[i >> 1]!, i & 1),
    tokenClaim(token, 'clob', CONDITIONS[i >> 1]!, i & 1),
  ]);
  await insert(client, `${db}.token_claims`, claims);
  const market = (i: number, slug: string, question: string, refreshed: string) => ({
    condition_id: CONDITIONS[i],
    question_id: `0x${'d'.repeat(63)}${i}`,
    question,
    slug,
    end_date: null,
    closed: i === 0,
    neg_risk: false,
    neg_risk_market_id: '',
    staged_object: 'staged/fixture/markets',
    refreshed_at: refreshed,
  });
  await insert(client, `${db}.markets`, [
    market(0, 'question-0', 'Question 0?', '2026-05-01 00:00:00.000'),
    market(1, 'question-1', 'Question 1?', '2026-05-01 00:00:00.000'),
  ]);
  // A newer refresh of the first market: its text changes, the older row waits for a merge.
  await insert(client, `${db}.markets`, [market(0, SLUG, 'Will it rain in London on May 5?', '2026-05-02 00:00:00.000')]);
  const condition = (i: number, resolved: boolean) => ({
    condition_id: CONDITIONS[i],
    oracle: `0x${'e'.repeat(40)}`,
    question_id: `0x${'d'.repeat(63)}${i}`,
    outcome_slot_count: 2,
    payout_numerators: resolved ? ['1', '0'] : [],
    payout_denominator: resolved ? '1' : '0',
    resolved_at: resolved ? END - 7 * 86_400 : null,
    block_number: 1,
    log_index: i,
    transaction_hash: `0x${'f'.repeat(63)}${i}`,
    staged_object: 'staged/fixture/v2',
  });
  await insert(client, `${db}.conditions`, [condition(0, true), condition(1, false)]);
  const position = (token: string, amount: string, avg: string, pnl: string, version: number) => ({
    wallet: WALLET,
    token_id: token,
    amount,
    avg_price: avg,
    realized_pnl: pnl,
    total_bought: '2000000',
    block_number: 100 + version,
    log_index: version,
    version,
  });
  await insert(client, `${db}.positions`, [position(TOKENS[0]!, '0', '400000', '600000', 1), position(TOKENS[2]!, '2000000', '350000', '0', 2)]);
  await insertExampleWalletActivity(client, db, WALLET);
  await insert(
    client,
    `${db}.rejects`,
    [0, 1, 2].map((i) => ({ source: 'subgraph', reason: `bad row ${i}`, raw: `{"id":${i}}`, staged_object: 'staged/fixture/v1' })),
  );
}

const counts = (db: string) =>
  one(`SELECT count() AS n, (SELECT count() FROM ${db}.fills FINAL) AS final, uniqExact(fill_id) AS distinct FROM ${db}.fills`) as Promise<{
    n: string;
    final: string;
    distinct: string;
  }>;

describe('migrating a populated version-4 warehouse to the analysts’ layout (version 5)', () => {
  it('keeps every fill once, every market, claim and rejected row, and the example queries’ answers, when two processes migrate at once', async () => {
    const db = 'upgrade_v4';
    await migrateUpTo(client, db, 4);
    await populate(db);
    const before = await counts(db);
    expect(Number(before.n)).toBe(Number(before.distinct) + 40);
    expect(before.final).toBe(before.distinct);
    const was = await snapshot(db);
    expect(was.examples.every((r) => r.length > 0)).toBe(true);

    await Promise.all([migrate(client, db), migrate(client, db)]);

    expect(await counts(db)).toEqual({ n: before.distinct, final: before.distinct, distinct: before.distinct });
    const now = await snapshot(db);
    expect(now.fills).toEqual(was.fills);
    expect(now.markets).toEqual(was.markets);
    expect(now.claims).toEqual(was.claims);
    expect(now.rejects).toEqual(was.rejects);
    expect(now.conditions).toEqual(was.conditions);
    expect(now.activity).toEqual(was.activity);
    expect(now.positions).toEqual(was.positions);
    expect(now.wallets).toEqual(was.wallets);
    expect(now.trades).toEqual(was.trades);
    expect(now.examples).toEqual(was.examples);
    const table = await one(`SELECT sorting_key FROM system.tables WHERE database = '${db}' AND name = 'fills'`);
    expect(table.sorting_key).toBe(FILLS_SORTING_KEY);
    expect(await rows(`SELECT name FROM system.tables WHERE database = '${db}' AND name LIKE 'fills_v%'`)).toEqual([]);
    expect(Number((await one(`SELECT max(version) AS v FROM ${db}.schema_migrations`)).v)).toBe(LATEST_SCHEMA_VERSION);
    // Run again: nothing to do, nothing changes.
    expect(await migrate(client, db)).toEqual({ from: LATEST_SCHEMA_VERSION, to: LATEST_SCHEMA_VERSION });
    expect((await snapshot(db)).fills).toEqual(was.fills);
  });

  /** Each fill once, the new key on `fills`, and no copy or lock left behind. */
  async function expectMovedOnce(db: string, distinct: string) {
    expect(await counts(db)).toEqual({ n: distinct, final: distinct, distinct });
    const table = await one(`SELECT sorting_key FROM system.tables WHERE database = '${db}' AND name = 'fills'`);
    expect(table.sorting_key).toBe(FILLS_SORTING_KEY);
    expect(await rows(`SELECT name FROM system.tables WHERE database = '${db}' AND (name LIKE 'fills\\_v%' OR name LIKE '%lock%')`)).toEqual([]);
  }

  it('copies each fill once when three copies race with only the swap locked (as processes on one server do)', async () => {
    const db = 'race_v4';
    await migrateUpTo(client, db, 4);
    await populate(db);
    const before = await counts(db);
    const move = moveFillsToSortedTable(db);
    await Promise.all([move(client), move(client), move(client)]);
    await expectMovedOnce(db, before.distinct);
  });

  it('leaves the swap in place when a second copy, verified before it, reaches the swap after it', async () => {
    // The order that once lost `fills`: a multi-table RENAME is not atomic, and the late copier renamed the new table away.
    const db = 'late_swap_v4';
    await migrateUpTo(client, db, 4);
    await populate(db);
    const before = await counts(db);
    let copied!: () => void;
    const bothCopied = new Promise<void>((resolve) => (copied = resolve));
    const firstSwapped = moveFillsToSortedTable(db, { beforeSwap: () => bothCopied })(client);
    const late = moveFillsToSortedTable(db, {
      beforeSwap: async () => {
        copied();
        await firstSwapped;
      },
    });
    await Promise.all([firstSwapped, late(client)]);
    await expectMovedOnce(db, before.distinct);
  });

  it('answers for one wallet and one market as trades does, with exact decimal amounts', async () => {
    const db = 'upgrade_v4';
    const columns = 'fill_id, timestamp, market_slug, outcome, outcome_index, price, usdc_amount, usdc, shares, is_taker_order';
    const wallet = await rows(`SELECT ${columns} FROM ${db}.wallet_trades(wallet = '${WALLET}') ORDER BY fill_id`);
    expect(wallet).toHaveLength(4);
    expect(wallet).toEqual(await rows(`SELECT ${columns} FROM ${db}.trades WHERE maker = '${WALLET}' ORDER BY fill_id`));
    const market = await rows(`SELECT ${columns} FROM ${db}.market_fills(slug = '${SLUG}') ORDER BY fill_id`);
    expect(market.length).toBeGreaterThan(100);
    expect(market).toEqual(await rows(`SELECT ${columns} FROM ${db}.trades WHERE market_slug = '${SLUG}' ORDER BY fill_id`));
    const exact = await one(`SELECT toString(sum(usdc)) AS usdc, toString(toDecimal128(sum(usdc_amount), 6) / 1000000) AS raw FROM ${db}.fills`);
    expect(exact.usdc).toBe(exact.raw);
  });
});
