import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { migrateUpTo } from '#adapters/clickhouse/migrations-at.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import type { ActivityRow } from '#shared/model/ledger.ts';
import { encodeStaged } from '#shared/staging/codec.ts';
import { sampleActivity } from '#test/support/activity.ts';

/**
 * A replay re-reads activity already loaded. When the collateral adapters
 * changed since the first load, some events now belong to another wallet:
 * the replay must replace those rows, not keep the old attribution and not
 * add a second row (the table is keyed by wallet, so FINAL would keep both).
 */
const ADAPTER = `0x${'ad'.repeat(20)}`;
const USER = `0x${'0b'.repeat(20)}`;

let client: ClickHouseClient;
beforeAll(() => {
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-reattribute-')));
});
afterAll(() => client?.close());

const rows = async <T>(sql: string) => (await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[];
const object = (key: string, events: ActivityRow[]) => ({
  key,
  etag: key,
  body: Readable.from([encodeStaged(events.map((row) => ({ table: 'activity' as const, row })))]),
});

describe('a replay that reads activity under another attribution', () => {
  it('replaces the rows of events that now go to another wallet, keeps the rest once, and a retried load changes nothing', async () => {
    const db = 'reattribute';
    await migrate(client, db);
    // First read without the adapter configured: its users' splits went to the adapter itself.
    const before = [0, 1, 2, 3].map((i) => sampleActivity(i, i < 2 ? { wallet: ADAPTER, stakeholder: ADAPTER } : {}));
    await loadStagedObject(client, db, object('staged/first', before));
    // The replay, with the adapter known: events 0 and 1 are the user's; 2 and 3 unchanged; 4 is new.
    const after = [0, 1, 2, 3, 4].map((i) => sampleActivity(i, i < 2 ? { wallet: USER, stakeholder: ADAPTER } : {}));
    const replayed = await loadStagedObject(client, db, object('staged/replayed', after), { skipLoadedFills: true });
    expect(replayed.activityReattributed).toBe(2);

    const table = () => rows<{ event_id: string; wallet: string }>(`SELECT event_id, wallet FROM ${db}.activity ORDER BY event_id`);
    const want = after.map((a) => ({ event_id: a.event_id, wallet: a.wallet }));
    expect(await table()).toEqual(want);
    expect(await rows(`SELECT event_id, wallet FROM ${db}.activity FINAL ORDER BY event_id`)).toEqual(want);

    const again = await loadStagedObject(client, db, object('staged/replayed', after), { skipLoadedFills: true });
    expect(again.activityReattributed).toBe(0);
    expect(await table()).toEqual(want);
  });

  it('needs schema version 9: before it, ClickHouse refuses a delete on the table with a projection', async () => {
    const db = 'reattribute_v8';
    await migrateUpTo(client, db, 8);
    await client.command({ query: `INSERT INTO ${db}.activity (event_id, wallet, block_number) VALUES ('e', 'a', 1)` });
    await expect(client.command({ query: `DELETE FROM ${db}.activity WHERE event_id = 'e'` })).rejects.toThrow(/projection/i);
    await migrate(client, db);
    await client.command({ query: `DELETE FROM ${db}.activity WHERE event_id = 'e'` });
    expect(await rows(`SELECT event_id FROM ${db}.activity`)).toEqual([]);
  });
});
