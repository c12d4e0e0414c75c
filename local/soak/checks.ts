/** The warehouse against the world, row by row: fills and chain activity by id (count, FINAL, distinct), positions and wallets field by field. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ActivityRow, WalletRow } from '#shared/model/ledger.ts';
import type { PositionRow } from '#shared/positions/method.ts';

export interface IdComparison {
  /** Rows in the table, rows with FINAL, distinct ids. */
  loaded: { rows: number; final: number; distinct: number };
  expected: number;
  lost: number;
  /** Rows beyond one per id (physical duplicates, before any merge). */
  duplicates: number;
  /** Ids the world does not have. */
  unexpected: number;
}

export interface RowComparison {
  expected: number;
  /** Rows of the table with FINAL. */
  loaded: number;
  /** Keys (a position's wallet and token, a wallet's proxy) missing, unexpected, or with any field different. */
  differing: number;
  examples: string[];
}

async function first<T>(client: ClickHouseClient, sql: string): Promise<T> {
  return ((await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[])[0]!;
}

/** A table's ids against the expected ones, streaming the distinct ids out of ClickHouse. */
async function compareIds(
  client: ClickHouseClient,
  database: string,
  table: 'fills' | 'activity',
  id: 'fill_id' | 'event_id',
  expectedIds: Iterable<string>,
): Promise<IdComparison> {
  const counts = await first<{ rows: string; final: string; distinct: string }>(
    client,
    `SELECT count() AS rows, (SELECT count() FROM ${database}.${table} FINAL) AS final, uniqExact(${id}) AS distinct FROM ${database}.${table}`,
  );
  const expected = new Set<string>(expectedIds);
  const size = expected.size;
  let unexpected = 0;
  const stream = (await client.query({ query: `SELECT DISTINCT ${id} FROM ${database}.${table}`, format: 'JSONCompactEachRow' })).stream();
  for await (const rows of stream) {
    for (const row of rows as { json<T>(): T }[]) {
      const [value] = row.json<[string]>();
      if (!expected.delete(value)) unexpected++;
    }
  }
  const loaded = { rows: Number(counts.rows), final: Number(counts.final), distinct: Number(counts.distinct) };
  return { loaded, expected: size, lost: expected.size, duplicates: loaded.rows - loaded.distinct, unexpected };
}

export const compareFills = (client: ClickHouseClient, database: string, fillIds: Iterable<string>) =>
  compareIds(client, database, 'fills', 'fill_id', fillIds);

/** Activity (splits, merges, redemptions, conversions) by event id. */
export const compareActivity = (client: ClickHouseClient, database: string, activity: readonly Pick<ActivityRow, 'event_id'>[]) =>
  compareIds(
    client,
    database,
    'activity',
    'event_id',
    activity.map((a) => a.event_id),
  );

/** Rows read against rows expected, by key, every field compared as JSON. */
function compareRows<T>(rows: readonly T[], expected: readonly T[], key: (r: T) => string, normal: (r: T) => T): RowComparison {
  const want = new Map(expected.map((r) => [key(r), JSON.stringify(normal(r))]));
  const examples: string[] = [];
  let differing = 0;
  const differ = (what: string) => {
    differing++;
    if (examples.length < 5) examples.push(what);
  };
  for (const r of rows) {
    const k = key(r);
    const w = want.get(k);
    const got = JSON.stringify(normal(r));
    if (w === undefined) differ(`unexpected ${k}`);
    else if (w !== got) differ(`${k}: got ${got}, want ${w}`);
    want.delete(k);
  }
  for (const k of want.keys()) differ(`missing ${k}`);
  return { expected: expected.length, loaded: rows.length, differing, examples };
}

/** positions FINAL against `expected`, every field of every (wallet, token). */
export async function comparePositions(client: ClickHouseClient, database: string, expected: readonly PositionRow[]): Promise<RowComparison> {
  const res = await client.query({
    query: `SELECT wallet, toString(token_id) AS token_id, toString(amount) AS amount, toString(avg_price) AS avg_price, toString(realized_pnl) AS realized_pnl,
              toString(total_bought) AS total_bought, toUInt64(block_number) AS block_number, log_index FROM ${database}.positions FINAL`,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const rows = (await res.json()) as PositionRow[];
  const key = (r: PositionRow) => `${r.wallet.toLowerCase()}|${r.token_id}`;
  return compareRows(rows, expected, key, (r) => ({
    ...r,
    wallet: r.wallet.toLowerCase(),
    block_number: Number(r.block_number),
    log_index: Number(r.log_index),
  }));
}

/** wallets FINAL against `expected`: each proxy's owner, kind, factory, and the block and transaction it was first seen in. */
export async function compareWallets(client: ClickHouseClient, database: string, expected: readonly WalletRow[]): Promise<RowComparison> {
  const res = await client.query({
    query: `SELECT proxy, owner, toString(kind) AS kind, factory, block_number, transaction_hash FROM ${database}.wallets FINAL`,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const rows = (await res.json()) as WalletRow[];
  return compareRows(
    rows,
    expected,
    (r) => r.proxy,
    (r) => ({ ...r, block_number: Number(r.block_number) }),
  );
}
