import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { runChecks, type QualityInputs, type QualityReport } from '#shared/ops/quality/run.ts';
import { formatReport } from '#shared/ops/quality/format.ts';
import type { AttributionDetails } from '#shared/ops/quality/attribution.ts';
import { CTF_EXCHANGE_V2, V2_COLLATERAL_ADAPTERS } from '#shared/sources/chain/events/addresses.ts';
import { END, GENESIS, WATERMARK, activitySplits as splits, insert, seedClean } from './support/fixture.ts';

/**
 * The "attribution" check on a real engine: activity credited to a
 * collateral adapter fails and says which replay fixes it; an address that
 * never traded but is credited with many transactions of activity is a
 * warning; traders, proxies and Polymarket's own contracts are neither.
 */
let client: ClickHouseClient;
const NOW = END + 3600;
const base: QualityInputs = { chain: { genesis: GENESIS, watermark: WATERMARK }, record: null, now: NOW, only: ['attribution'] };

beforeAll(() => {
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-attribution-')));
});
afterAll(() => client?.close());

let n = 0;
async function cleanDb(): Promise<string> {
  const db = `attribution_${++n}`;
  await seedClean(client, db);
  return db;
}

const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
/** A trader of the fixture's fills (their makers are 0x…1000 to 0x…1031). */
const TRADER = address(0x1000);
const STRANGER = address(0xabcdef);

const check = (db: string, extra: Partial<QualityInputs> = {}) => runChecks({ client, database: db }, { ...base, ...extra });
const attribution = (r: QualityReport) => {
  const c = r.checks.find((x) => x.name === 'attribution')!;
  return { ...c, details: c.details as AttributionDetails };
};

describe('npm run check, "attribution"', () => {
  it('skips a warehouse without activity, and passes traders, proxies, the exchanges and adapter-routed rows', async () => {
    const db = await cleanDb();
    expect(attribution(await check(db)).status).toBe('skip');
    const proxy = address(0x5afe);
    await insert(client, `${db}.activity`, [
      ...splits(TRADER, 80, { tag: 1 }),
      ...splits(proxy, 80, { tag: 2 }),
      ...splits(CTF_EXCHANGE_V2, 80, { tag: 3 }),
      // Seen through an adapter: the stakeholder is the adapter, the wallet the user's.
      ...splits(STRANGER, 80, { tag: 4, stakeholder: V2_COLLATERAL_ADAPTERS[0] }),
    ]);
    await insert(client, `${db}.wallets`, [
      { proxy, owner: address(0x0e0a), kind: 'safe', factory: address(0xfac), block_number: 1, transaction_hash: `0x${'b'.repeat(64)}`, staged_object: 'x' },
    ]);
    const r = await check(db);
    expect(attribution(r)).toMatchObject({ status: 'pass', details: { adapters: [], suspects: [] } });
    expect(r.ok).toBe(true);
  });

  it('fails on activity credited to a default adapter and names the replay that fixes it', async () => {
    const db = await cleanDb();
    const adapter = V2_COLLATERAL_ADAPTERS[1]!;
    await insert(client, `${db}.activity`, [...splits(adapter, 3, { firstBlock: 91_000_000 }), ...splits(TRADER, 2, { tag: 1 })]);
    const r = await check(db);
    const c = attribution(r);
    expect(c.status).toBe('fail');
    expect(r.ok).toBe(false);
    expect(c.details.adapters).toEqual([
      expect.objectContaining({ address: adapter, events: 3, transactions: 3, firstBlock: '91000000', lastBlock: '91000020' }),
    ]);
    expect(c.summary).toContain('npm run replay -- --from 91000000');
    expect(formatReport(r)).toContain(`adapter ${adapter}: 3 events in 3 transactions, blocks 91000000..91000020`);
  });

  it('knows the adapters CHAIN_ADAPTERS adds, and warns on one it does not know once it reaches the threshold', async () => {
    const db = await cleanDb();
    const added = address(0xada3);
    await insert(client, `${db}.activity`, splits(added, 60, { firstBlock: 92_000_000 }));

    const configured = attribution(await check(db, { adapters: [added] }));
    expect(configured.status).toBe('fail');
    expect(configured.details.adapters.map((a) => a.address)).toEqual([added]);

    const unknown = await check(db);
    expect(attribution(unknown)).toMatchObject({ status: 'warn', details: { adapters: [], suspects: [{ address: added, transactions: 60 }] } });
    expect(unknown.ok).toBe(true);
    expect(formatReport(unknown)).toContain(`never traded ${added}: 60 events in 60 transactions`);

    expect(attribution(await check(db, { thresholds: { minAdapterTransactions: 61 } })).status).toBe('pass');
    // The exchanges CHAIN_EXCHANGES names are contracts whose activity is their own.
    expect(attribution(await check(db, { exchanges: [added] })).status).toBe('pass');
  });
});
