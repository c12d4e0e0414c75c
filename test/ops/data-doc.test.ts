import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { CONDITIONS, END, TOKENS, UNKNOWN_TOKEN, fillAt, insert, insertExampleWalletActivity, seedClean } from './support/fixture.ts';

/**
 * Every example query of docs/DATA.md runs against a small warehouse that
 * holds what each one asks about (the example wallet's fills, positions and
 * activity, a resolved and an open condition, an unmapped token), and returns
 * rows: none of them is broken SQL, and none silently finds nothing.
 */
const DOC = readFileSync(new URL('../../docs/DATA.md', import.meta.url), 'utf8');
const EXAMPLES = DOC.slice(DOC.indexOf('## 4. Example queries'));
const QUERIES = [...EXAMPLES.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

const WALLET = '0x1111111111111111111111111111111111111111';
const OWNER = '0x2222222222222222222222222222222222222222';
const SLUG = 'will-it-rain-in-london-on-may-5';
const db = 'polymarket';
let client: ClickHouseClient;

beforeAll(async () => {
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-datadoc-')));
  await seedClean(client, db);
  // The example market's text, newer than the fixture's.
  await insert(client, `${db}.markets`, [
    {
      condition_id: CONDITIONS[0],
      question_id: `0x${'d'.repeat(64)}`,
      question: 'Will it rain in London on May 5?',
      slug: SLUG,
      end_date: null,
      closed: true,
      neg_risk: false,
      neg_risk_market_id: '',
      staged_object: 'staged/doc/markets',
    },
  ]);
  // The example wallet: three maker fills of outcome 0, and the taker order's own event of a match it took.
  const own = [0, 1, 2].map((i) => ({ ...fillAt(300_000 + i, { t: END - 86_400 + i * 600, token: TOKENS[0] }), maker: WALLET }));
  const taken = fillAt(300_010, { t: END - 3_600, token: TOKENS[0] });
  await insert(client, `${db}.fills`, [...own, { ...taken, maker: WALLET, taker: taken.exchange }, fillAt(300_020, { t: END - 60, token: UNKNOWN_TOKEN })]);
  await insert(client, `${db}.positions`, [
    {
      wallet: WALLET,
      token_id: TOKENS[0],
      amount: '0',
      avg_price: '400000',
      realized_pnl: '600000',
      total_bought: '1000000',
      block_number: 100,
      log_index: 1,
      version: 1,
    },
    {
      wallet: WALLET,
      token_id: TOKENS[2],
      amount: '2000000',
      avg_price: '350000',
      realized_pnl: '0',
      total_bought: '2000000',
      block_number: 101,
      log_index: 2,
      version: 2,
    },
  ]);
  await insertExampleWalletActivity(client, db, WALLET);
});
afterAll(() => client?.close());

const run = async (sql: string) => (await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as Record<string, unknown>[];

describe('docs/DATA.md example queries', () => {
  it('number at least ten', () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(10);
  });

  it.each(QUERIES.map((q, i) => [i + 1, q] as const))('query %i runs and finds rows', async (_n, sql) => {
    const rows = await run(sql);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('answers to index_set as to index_sets in activity, and SELECT * shows the stored column only', async () => {
    const [row] = await run(`SELECT index_set, index_sets FROM ${db}.activity`);
    expect(row).toEqual({ index_set: ['1', '2'], index_sets: ['1', '2'] });
    const [star] = await run(`SELECT * FROM ${db}.activity LIMIT 1`);
    expect(Object.keys(star!)).toContain('index_sets');
    expect(Object.keys(star!)).not.toContain('index_set');
  });

  it('count the way section 2 says: the taker-order event is in the wallet history, not in market volume', async () => {
    const history = await run(QUERIES[0]!);
    expect(history.map((r) => r.role)).toEqual(['maker', 'maker', 'maker', 'taker']);
    const daily = await run(QUERIES[1]!);
    const volume = daily.reduce((sum, r) => sum + Number(r.volume_usdc), 0);
    const [expected] = await run(
      `SELECT sum(usdc_amount) / 1e6 AS v FROM ${db}.fills FINAL WHERE token_id IN (toUInt256('${TOKENS[0]}'), toUInt256('${TOKENS[1]}')) AND NOT is_taker_order`,
    );
    expect(volume).toBeCloseTo(Number(expected!.v), 6);
    const exposure = await run(QUERIES[5]!);
    expect(exposure).toEqual([expect.objectContaining({ wallet: WALLET, condition_id: CONDITIONS[1], shares: 2, avg_price: 0.35, cost_usdc: 0.7 })]);
    const activity = await run(QUERIES[9]!);
    expect(activity).toEqual([expect.objectContaining({ kind: 'split', through_adapter: 1, owner: OWNER })]);
  });
});
