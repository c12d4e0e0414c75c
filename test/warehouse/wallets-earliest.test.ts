import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { migrateUpTo } from '#adapters/clickhouse/migrations-at.ts';
import { WALLETS_ENGINE } from '#adapters/clickhouse/migrations-v8.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import type { WalletRow } from '#shared/model/ledger.ts';
import { encodeStaged } from '#shared/staging/codec.ts';

/**
 * A proxy wallet's row arrives from every page of blocks that holds one of
 * its relayed calls, and the loader takes pages in any order. `wallets` must
 * say where each proxy was first seen, whatever came last.
 */
const A = `0x${'a1'.repeat(20)}`;
const B = `0x${'b2'.repeat(20)}`;
const OWNER = `0x${'0e'.repeat(20)}`;
const FACTORY = '0xab45c5a4b0c941a2f231c04c3f49182e1a254052';
const tx = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const wallet = (proxy: string, block: number): WalletRow => ({
  proxy,
  owner: OWNER,
  kind: 'proxy',
  factory: FACTORY,
  block_number: block,
  transaction_hash: tx(block),
});

let client: ClickHouseClient;
beforeAll(() => {
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-wallets-')));
});
afterAll(() => client?.close());

const rows = async <T>(sql: string) => (await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[];
const final = (db: string) =>
  rows<{ proxy: string; block_number: string; transaction_hash: string }>(
    `SELECT proxy, block_number, transaction_hash FROM ${db}.wallets FINAL ORDER BY proxy`,
  );
const seen = (proxy: string, block: number) => ({ proxy, block_number: String(block), transaction_hash: tx(block) });

async function load(db: string, key: string, wallets: WalletRow[]): Promise<void> {
  const body = encodeStaged(wallets.map((row) => ({ table: 'wallets' as const, row })));
  await loadStagedObject(client, db, { key, etag: key, body: Readable.from([body]) });
}

describe('wallets: the earliest row of each proxy', () => {
  it('is kept whatever order the staged objects are loaded in, before and after the merge', async () => {
    const db = 'wallets_order';
    await migrate(client, db);
    await load(db, 'staged/page-2', [wallet(A, 200)]);
    await load(db, 'staged/page-1', [wallet(A, 50), wallet(B, 10)]);
    await load(db, 'staged/page-3', [wallet(A, 300), wallet(B, 400)]);
    expect(await final(db)).toEqual([seen(A, 50), seen(B, 10)]);
    await client.command({ query: `OPTIMIZE TABLE ${db}.wallets FINAL` });
    expect(await rows(`SELECT proxy, block_number FROM ${db}.wallets ORDER BY proxy`)).toEqual([
      { proxy: A, block_number: '50' },
      { proxy: B, block_number: '10' },
    ]);
    // The version column is for the engine; `SELECT *` shows the contract's columns only.
    const [star] = await rows<Record<string, unknown>>(`SELECT * FROM ${db}.wallets FINAL LIMIT 1`);
    expect(Object.keys(star!)).toEqual(['proxy', 'owner', 'kind', 'factory', 'block_number', 'transaction_hash', 'staged_object', 'ingested_at']);
  });

  it('comes out of the migration from version 7, where the last row loaded won, when two processes migrate at once', async () => {
    const db = 'wallets_upgrade';
    await migrateUpTo(client, db, 7);
    await load(db, 'staged/page-1', [wallet(A, 50), wallet(B, 10)]);
    await load(db, 'staged/page-2', [wallet(A, 200)]);
    // What version 7 answered: the row loaded last.
    expect(await final(db)).toEqual([seen(A, 200), seen(B, 10)]);

    await Promise.all([migrate(client, db), migrate(client, db)]);

    expect(await final(db)).toEqual([seen(A, 50), seen(B, 10)]);
    const [table] = await rows<{ engine_full: string }>(`SELECT engine_full FROM system.tables WHERE database = '${db}' AND name = 'wallets'`);
    expect(table!.engine_full.startsWith(WALLETS_ENGINE)).toBe(true);
    expect(await rows(`SELECT name FROM system.tables WHERE database = '${db}' AND name LIKE 'wallets_v%'`)).toEqual([]);
    // Loads after the migration still keep the earliest, and a re-run of the migration changes nothing.
    await load(db, 'staged/page-0', [wallet(B, 5)]);
    await migrate(client, db);
    expect(await final(db)).toEqual([seen(A, 50), seen(B, 5)]);
  });
});
