import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { withMigrationLock } from '#adapters/clickhouse/migration-lock.ts';

let client: ClickHouseClient;
beforeAll(async () => {
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-migration-lock-')));
  for (const db of ['lock_turns', 'lock_stale', 'lock_throws']) await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
});
afterAll(() => client?.close());

const tables = async (db: string) =>
  ((await (await client.query({ query: `SELECT name FROM system.tables WHERE database = '${db}'`, format: 'JSONEachRow' })).json()) as { name: string }[]).map(
    (t) => t.name,
  );

describe('the migration lock', () => {
  it('lets one section run at a time, each to its end, and leaves no lock behind', async () => {
    const events: string[] = [];
    const section = (name: string) => async () => {
      events.push(`enter ${name}`);
      // Work inside the section that yields to the others, as a swap's statements do.
      await client.query({ query: 'SELECT count() FROM numbers(100000)' });
      await client.query({ query: 'SELECT 1' });
      events.push(`leave ${name}`);
      return name;
    };
    const names = ['a', 'b', 'c', 'd'];
    const results = await Promise.all(names.map((n) => withMigrationLock(client, 'lock_turns', section(n), { retryMs: 5 })));
    expect(results).toEqual(names);
    expect(events).toHaveLength(8);
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]).toMatch(/^enter /);
      expect(events[i + 1]).toBe(events[i]!.replace('enter', 'leave'));
    }
    expect(await tables('lock_turns')).toEqual([]);
  });

  it('takes over a lock left by a process that died, once it is older than the stale age', async () => {
    await client.command({ query: 'CREATE TABLE lock_stale.schema_migration_lock (holder String) ENGINE = Memory' });
    const ran = await withMigrationLock(client, 'lock_stale', async () => 'ran', { staleAfterSeconds: 0 });
    expect(ran).toBe('ran');
    expect(await tables('lock_stale')).toEqual([]);
  });

  it('releases the lock when the section fails, and passes the failure on', async () => {
    await expect(
      withMigrationLock(client, 'lock_throws', async () => {
        throw new Error('swap refused');
      }),
    ).rejects.toThrow('swap refused');
    expect(await withMigrationLock(client, 'lock_throws', async () => 'next')).toBe('next');
    expect(await tables('lock_throws')).toEqual([]);
  });
});
