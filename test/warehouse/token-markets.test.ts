import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { encodeStaged } from '#shared/staging/codec.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import { CONDITIONS, TOKENS, fillAt, insert } from '#test/ops/support/fixture.ts';

/**
 * `trades`, `wallet_trades` and `market_fills` read the market of each fill
 * from the `token_markets` dictionary (schema version 6). They must answer as
 * the joins of `trades` before it did, and follow every load of market rows
 * at once, even when a query loaded the dictionary before those rows arrived.
 */
const WALLET = '0x1111111111111111111111111111111111111111';
const SLUG = 'will-the-dictionary-keep-up';
const COLUMNS = 'fill_id, timestamp, condition_id, outcome_index, outcome, mapping_sources, question, market_slug, neg_risk, is_mapped, usdc, shares';

let client: ClickHouseClient;
beforeAll(() => {
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-token-markets-')));
});
afterAll(() => client?.close());

const rows = async (sql: string) => (await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as Record<string, unknown>[];

/** Loads records as the loader does: one staged object, through loadStagedObject. */
async function load(db: string, key: string, records: StagedRecord[]) {
  const body = encodeStaged(records);
  const etag = createHash('md5').update(body).digest('hex');
  return loadStagedObject(client, db, { key, etag, body: Readable.from([body]) });
}

const market = (question: string): StagedRecord => ({
  table: 'markets',
  row: {
    condition_id: CONDITIONS[0]!,
    question_id: `0x${'d'.repeat(64)}`,
    question,
    slug: SLUG,
    end_date: null,
    closed: false,
    neg_risk: false,
    neg_risk_market_id: '',
  },
});
const claims = (source: 'clob' | 'registry'): StagedRecord[] =>
  [0, 1].map((outcome) => ({
    table: 'token_claims',
    row: {
      token_id: TOKENS[outcome]!,
      source,
      condition_id: CONDITIONS[0]!,
      outcome_index: outcome,
      outcome: source === 'clob' ? ['Yes', 'No'][outcome]! : '',
      complement_id: TOKENS[1 - outcome]!,
      winner: null,
      exchange: '',
      block_number: 0,
    },
  }));

/** What `trades` was until version 6, and what the dictionary must give: fills joined to market_tokens and markets. */
const joined = (db: string) => `SELECT f.fill_id AS fill_id, f.timestamp AS timestamp, t.condition_id AS condition_id, t.outcome_index AS outcome_index,
    t.outcome AS outcome, t.sources AS mapping_sources, m.question AS question, m.slug AS market_slug, m.neg_risk AS neg_risk,
    t.condition_id != '' AS is_mapped, f.usdc AS usdc, f.shares AS shares, f.maker AS maker
  FROM ${db}.fills AS f FINAL
  LEFT JOIN ${db}.market_tokens AS t ON f.token_id = t.token_id
  LEFT JOIN (SELECT condition_id, question, slug, neg_risk FROM ${db}.markets FINAL) AS m ON t.condition_id = m.condition_id`;

async function expectViewsMatchTrades(db: string) {
  const viaTrades = await rows(`SELECT ${COLUMNS} FROM ${db}.trades WHERE maker = '${WALLET}' ORDER BY fill_id`);
  expect(viaTrades).toEqual(await rows(`SELECT ${COLUMNS} FROM (${joined(db)}) WHERE maker = '${WALLET}' ORDER BY fill_id`));
  expect(await rows(`SELECT ${COLUMNS} FROM ${db}.wallet_trades(wallet = '${WALLET}') ORDER BY fill_id`)).toEqual(viaTrades);
  const marketColumns = COLUMNS.replace('mapping_sources, ', '').replace(', is_mapped', '');
  expect(await rows(`SELECT ${marketColumns} FROM ${db}.market_fills(slug = '${SLUG}') ORDER BY fill_id`)).toEqual(
    await rows(`SELECT ${marketColumns} FROM ${db}.trades WHERE market_slug = '${SLUG}' ORDER BY fill_id`),
  );
  return viaTrades;
}

describe('the token_markets dictionary', () => {
  it('follows each load of market rows at once, and answers as the joins of trades do', async () => {
    const db = 'dictionary_follows';
    await migrate(client, db);
    await insert(
      client,
      `${db}.fills`,
      [0, 1, 2, 3].map((k) => ({ ...fillAt(k, { token: TOKENS[k % 2] }), maker: WALLET })),
    );
    // Read first: the dictionary is loaded now, with no market known.
    const unmapped = await expectViewsMatchTrades(db);
    expect(unmapped.map((r) => Boolean(r.is_mapped))).toEqual([false, false, false, false]);

    const loaded = await load(db, 'staged/markets/1', [market('Will the dictionary keep up?'), ...claims('clob')]);
    expect(loaded.rows.markets).toBe(1);
    const mapped = await expectViewsMatchTrades(db);
    expect(mapped.map((r) => [r.market_slug, r.outcome, Boolean(r.is_mapped)])).toEqual([
      [SLUG, 'Yes', true],
      [SLUG, 'No', true],
      [SLUG, 'Yes', true],
      [SLUG, 'No', true],
    ]);

    // A renamed question and a registry claim (first in precedence): both show on the next read.
    await load(db, 'staged/markets/2', [market('Did the dictionary keep up?'), ...claims('registry')]);
    const updated = await expectViewsMatchTrades(db);
    expect(new Set(updated.map((r) => r.question))).toEqual(new Set(['Did the dictionary keep up?']));
    expect(updated[0]!.mapping_sources).toEqual(['clob', 'registry']);
  });

  it('fails the load with a clear message when it cannot reload the dictionary, and keeps the rows loaded', async () => {
    const db = 'dictionary_missing';
    await migrate(client, db);
    await client.command({ query: `DROP DICTIONARY ${db}.token_markets` });
    await expect(load(db, 'staged/markets/1', [market('Is the dictionary there?'), ...claims('clob')])).rejects.toThrow(
      /market rows are loaded, but the dictionary dictionary_missing\.token_markets could not be reloaded \(the ClickHouse user needs SYSTEM RELOAD DICTIONARY\)/,
    );
    expect(await rows(`SELECT question FROM ${db}.markets FINAL`)).toEqual([{ question: 'Is the dictionary there?' }]);
    // The retry the loader's queue makes: the rows deduplicate, the dictionary (recreated by the operator) follows.
    await client.command({ query: `DELETE FROM ${db}.schema_migrations WHERE version >= 6` });
    await migrate(client, db);
    await load(db, 'staged/markets/1', [market('Is the dictionary there?'), ...claims('clob')]);
    expect(await rows(`SELECT count() AS n FROM ${db}.markets`)).toEqual([{ n: '1' }]);
    expect(await rows(`SELECT market_slug FROM ${db}.token_markets ORDER BY token_id`)).toEqual([{ market_slug: SLUG }, { market_slug: SLUG }]);
  });
});
