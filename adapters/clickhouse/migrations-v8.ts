import type { ClickHouseClient } from '@clickhouse/client';
import { withMigrationLock } from './migration-lock.ts';
import type { Migration } from './migrations.ts';

/**
 * Version 8: `wallets` keeps the earliest row of each proxy, whatever the
 * order the rows were loaded in.
 *
 * A proxy wallet is seen at every relayed call its owner makes, so its row
 * arrives again from every page of blocks that holds one. Until version 7 the
 * table was a ReplacingMergeTree without a version, which keeps the row
 * inserted last: the `block_number` and `transaction_hash` of a proxy then
 * depended on which shard the loader took last, and a backfill of older
 * history after a `--since` sync replaced nothing. From version 8 the
 * version is `first_seen` = 2^64 - 1 - `block_number` (a MATERIALIZED column,
 * so `SELECT *` does not show it), and the engine keeps the greatest: the
 * earliest block. Two rows of one proxy from one block come from one page,
 * where the chain source already keeps the first (earliestWalletPerProxy).
 *
 * The rows move to a new table, every stored row (not FINAL: the new engine
 * picks the earliest of them), the names are swapped under the migration
 * lock, and the old table's rows are copied again after the swap, so a row
 * loaded during the first copy is not lost. A copy twice is harmless: equal
 * rows of one proxy fold into one.
 */

export const WALLETS_ENGINE = 'ReplacingMergeTree(first_seen)';

// SQL below spells its constants out: the security test admits no interpolation but the database's name.

const createWalletsV8 = (db: string) => `CREATE TABLE IF NOT EXISTS ${db}.wallets_v8
  (
    proxy String,
    owner String,
    kind Enum8('proxy' = 1, 'safe' = 2),
    factory String,
    block_number UInt64,
    transaction_hash String,
    staged_object String,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
    first_seen UInt64 MATERIALIZED 18446744073709551615 - block_number
  )
  ENGINE = ReplacingMergeTree(first_seen)
  ORDER BY proxy
  SETTINGS non_replicated_deduplication_window = 100000`;

async function keepsEarliest(client: ClickHouseClient, db: string): Promise<boolean> {
  const res = await client.query({
    query: `SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'wallets'`,
    query_params: { db },
    format: 'JSONEachRow',
  });
  const [table] = (await res.json()) as { engine_full: string }[];
  return table !== undefined && table.engine_full.startsWith(WALLETS_ENGINE);
}

/** Every stored row of the old table into the new one before the swap. */
const copyToNew = (db: string) => `INSERT INTO ${db}.wallets_v8 (proxy, owner, kind, factory, block_number, transaction_hash, staged_object, ingested_at)
  SELECT proxy, owner, kind, factory, block_number, transaction_hash, staged_object, ingested_at FROM ${db}.wallets`;
/** After the swap, the old table (now named wallets_v8) into the new: rows loaded during the first copy. */
const copyBackAfterSwap = (db: string) => `INSERT INTO ${db}.wallets (proxy, owner, kind, factory, block_number, transaction_hash, staged_object, ingested_at)
  SELECT proxy, owner, kind, factory, block_number, transaction_hash, staged_object, ingested_at FROM ${db}.wallets_v8`;

function walletsKeepEarliest(db: string): (client: ClickHouseClient) => Promise<void> {
  return async (client) => {
    if (await keepsEarliest(client, db)) return;
    try {
      await client.command({ query: createWalletsV8(db) });
      await client.command({ query: copyToNew(db) });
    } catch (err) {
      // Another process swapped and dropped its copy while this one copied: the table is migrated.
      if (await keepsEarliest(client, db)) return;
      throw err;
    }
    await withMigrationLock(client, db, async () => {
      if (!(await keepsEarliest(client, db))) {
        await client.command({ query: `EXCHANGE TABLES ${db}.wallets AND ${db}.wallets_v8` });
        await client.command({ query: copyBackAfterSwap(db) });
      }
      await client.command({ query: `DROP TABLE IF EXISTS ${db}.wallets_v8` });
    });
  };
}

export const MIGRATION_V8: Migration = {
  version: 8,
  name: 'wallets keeps the earliest row of each proxy, in any load order',
  statements: (db) => [walletsKeepEarliest(db)],
};
