import type { ClickHouseClient } from '@clickhouse/client';

/**
 * A lock shared by every process that migrates one database, for the few
 * statements that must not interleave (a table swap: ClickHouse has no
 * conditional RENAME, and a multi-table RENAME is not atomic). It is a table:
 * `CREATE TABLE` without `IF NOT EXISTS` succeeds for exactly one caller.
 *
 * A holder that died leaves the table behind. Sections under this lock take
 * milliseconds, so a lock older than `staleAfterSeconds` (by the server's
 * clock) is taken over: renamed away first, which also succeeds for exactly
 * one caller, then dropped.
 */
export interface MigrationLockOptions {
  /** Age after which a held lock is deemed left by a dead process. */
  staleAfterSeconds?: number;
  /** Pause between attempts while another process holds the lock. */
  retryMs?: number;
}

const TABLE_ALREADY_EXISTS = 'TABLE_ALREADY_EXISTS';
const UNKNOWN_TABLE = 'UNKNOWN_TABLE';

/** By the error's type name: the embedded engine's errors come from another copy of the client's error class. */
function isClickHouseError(err: unknown, type: string): boolean {
  return typeof err === 'object' && err !== null && (err as { type?: unknown }).type === type;
}

async function lockAgeSeconds(client: ClickHouseClient, db: string): Promise<number | null> {
  const res = await client.query({
    query: `SELECT toInt64(now() - metadata_modification_time) AS age FROM system.tables WHERE database = {db:String} AND name = 'schema_migration_lock'`,
    query_params: { db },
    format: 'JSONEachRow',
  });
  const [row] = (await res.json()) as { age: string | number }[];
  return row ? Number(row.age) : null;
}

async function tryAcquire(client: ClickHouseClient, db: string): Promise<boolean> {
  try {
    await client.command({ query: `CREATE TABLE ${db}.schema_migration_lock (holder String) ENGINE = Memory` });
    return true;
  } catch (err) {
    if (isClickHouseError(err, TABLE_ALREADY_EXISTS)) return false;
    throw err;
  }
}

/** Removes a lock left by a dead holder; harmless when another process removed it first. */
async function breakStaleLock(client: ClickHouseClient, db: string): Promise<void> {
  try {
    await client.command({ query: `RENAME TABLE ${db}.schema_migration_lock TO ${db}.schema_migration_lock_stale` });
  } catch (err) {
    if (isClickHouseError(err, UNKNOWN_TABLE) || isClickHouseError(err, TABLE_ALREADY_EXISTS)) return;
    throw err;
  }
  await client.command({ query: `DROP TABLE IF EXISTS ${db}.schema_migration_lock_stale` });
}

/** Runs `section` while this process alone holds the database's migration lock. */
export async function withMigrationLock<T>(
  client: ClickHouseClient,
  db: string,
  section: () => Promise<T>,
  { staleAfterSeconds = 600, retryMs = 200 }: MigrationLockOptions = {},
): Promise<T> {
  while (!(await tryAcquire(client, db))) {
    const age = await lockAgeSeconds(client, db);
    if (age !== null && age >= staleAfterSeconds) await breakStaleLock(client, db);
    else await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
  try {
    return await section();
  } finally {
    await client.command({ query: `DROP TABLE IF EXISTS ${db}.schema_migration_lock` });
  }
}
