import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Hex } from 'viem';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import type { FillRow } from '#shared/model/fill.ts';
import type { ActivityRow } from '#shared/model/ledger.ts';
import { NEG_RISK_ADAPTER, WRAPPED_COLLATERAL } from '#shared/positions/contracts.ts';
import { computePositions, type PositionRow, type PositionsInput } from '#shared/positions/method.ts';
import { NegativeAvgPriceError, refreshPositions } from '#shared/positions/refresh.ts';
import { count, events, failingInsert, hex32, insert, load, MARKETS, ONE, stored, WALLETS, walletsOf } from './ledger-fixture.ts';

describe('refreshing the positions table', () => {
  let client: ClickHouseClient;
  let databases = 0;
  const early = events(1, 1, 100);
  const late = events(2, 101, 200);
  const upTo = (rows: { fills: FillRow[]; activity: ActivityRow[] }, block: number) => ({
    fills: rows.fills.filter((f) => f.block_number <= block),
    activity: rows.activity.filter((a) => a.block_number <= block),
  });
  const scratch = (...parts: { fills: FillRow[]; activity: ActivityRow[] }[]): PositionRow[] => {
    const all: PositionsInput = {
      fills: parts.flatMap((p) => p.fills),
      activity: parts.flatMap((p) => p.activity),
      conditions: MARKETS.conditions,
      questions: MARKETS.questions,
    };
    return computePositions(all);
  };

  /** A fresh database with the markets loaded. */
  async function database(): Promise<string> {
    const db = `positions_${++databases}`;
    await migrate(client, db);
    await insert(client, db, 'conditions', MARKETS.conditions);
    await insert(client, db, 'neg_risk_questions', MARKETS.questions);
    return db;
  }

  beforeAll(() => {
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-positions-')));
  });
  afterAll(() => client?.close());

  it('matches a computation from scratch, then again after an incremental refresh, and a repeated refresh changes nothing', async () => {
    const db = await database();
    // Events past the refresh's block are already loaded and must wait for the next refresh.
    await load(client, db, early);
    await load(client, db, upTo(late, 150));
    const first = await refreshPositions(client, db, 100, { walletsPerBatch: 5, rowsPerInsert: 10 });
    expect(first).toMatchObject({ fromBlock: 0, upToBlock: 100, wallets: walletsOf(early) });
    expect(first.events).toBe(early.fills.length + early.activity.length);
    expect(await stored(client, db)).toEqual(scratch(early));

    // A duplicate row (a load not merged away yet) must not count twice. No merge may remove it first.
    await client.command({ query: `SYSTEM STOP MERGES ${db}.fills` });
    await insert(client, db, 'fills', late.fills.filter((f) => f.block_number > 150).slice(0, 3));
    await load(client, db, { fills: late.fills.filter((f) => f.block_number > 150), activity: late.activity.filter((a) => a.block_number > 150) });
    const second = await refreshPositions(client, db, 200, { walletsPerBatch: 5, rowsPerInsert: 10 });
    expect(second).toMatchObject({ fromBlock: 100, upToBlock: 200, duplicates: 3 });
    expect(second.events).toBe(late.fills.length + late.activity.length);
    expect(second.wallets).toBe(walletsOf(late));
    const expected = scratch(early, late);
    expect(await stored(client, db)).toEqual(expected);
    expect(second.skipped['excluded-party'] + first.skipped['excluded-party']).toBeGreaterThan(0);

    const physical = await count(client, `SELECT count() AS n FROM ${db}.positions`);
    const again = await refreshPositions(client, db, 200);
    expect(again).toMatchObject({ fromBlock: 200, upToBlock: 200, wallets: 0, events: 0, positionsWritten: 0 });
    expect(await count(client, `SELECT count() AS n FROM ${db}.positions`)).toBe(physical);
    expect(await stored(client, db)).toEqual(expected);
  });

  it('writes only the positions that changed', async () => {
    const db = await database();
    await load(client, db, early);
    await refreshPositions(client, db, 100);
    const before = await count(client, `SELECT count() AS n FROM ${db}.positions`);
    const one = { fills: late.fills.filter((f) => f.block_number === late.fills[0]!.block_number), activity: [] };
    await load(client, db, one);
    const result = await refreshPositions(client, db, 200);
    expect(result.positionsWritten).toBe(new Set(one.fills.map((f) => `${f.maker}/${f.token_id}`)).size);
    expect(await count(client, `SELECT count() AS n FROM ${db}.positions`)).toBe(before + result.positionsWritten);
    expect(await stored(client, db)).toEqual(scratch(early, one));
  });

  it("never splits a wallet's rows across inserts", async () => {
    const db = await database();
    await load(client, db, early);
    const insertsOf = new Map<string, number>();
    let inserts = 0;
    const recording = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'insert') {
          return async (params: Parameters<ClickHouseClient['insert']>[0]) => {
            if (params.table.endsWith('.positions')) {
              inserts++;
              for (const w of new Set((params.values as PositionRow[]).map((r) => r.wallet))) insertsOf.set(w, (insertsOf.get(w) ?? 0) + 1);
            }
            return target.insert(params);
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await refreshPositions(recording, db, 100, { walletsPerBatch: 4, rowsPerInsert: 15 });
    expect(inserts).toBeGreaterThan(3);
    expect([...insertsOf.values()].every((n) => n === 1)).toBe(true);
    expect(await stored(client, db)).toEqual(scratch(early));
  });

  it('builds on the newest version of a position even when an older one was written after it (a slower concurrent refresh)', async () => {
    const db = await database();
    await client.command({ query: `SYSTEM STOP MERGES ${db}.positions` });
    await load(client, db, early);
    await refreshPositions(client, db, 100);
    const old = await stored(client, db);
    await load(client, db, late);
    await refreshPositions(client, db, 200);
    const moved = (await stored(client, db)).find((p) => p.block_number > 100 && old.some((o) => o.wallet === p.wallet && o.token_id === p.token_id));
    const stale = old.find((o) => o.wallet === moved!.wallet && o.token_id === moved!.token_id)!;
    await insert(client, db, 'positions', [{ ...stale, version: stale.block_number * 1_000_000 + stale.log_index }]);
    const extra = {
      fills: [
        {
          ...late.fills[0]!,
          fill_id: 'extra',
          block_number: 201,
          log_index: 0,
          maker: stale.wallet,
          maker_asset_id: '0',
          taker_asset_id: stale.token_id,
          token_id: stale.token_id,
        },
      ],
      activity: [],
    };
    await load(client, db, extra);
    await refreshPositions(client, db, 250);
    expect(await stored(client, db)).toEqual(scratch(early, late, extra));
  });

  it('gives the same result when a refresh killed after any insert is run again, to the same block or further', async () => {
    // One insert per wallet below: every user wallet has events in the killed window.
    for (const failAt of [1, 2, WALLETS.length / 2, WALLETS.length]) {
      for (const rerunTo of [160, 200]) {
        const db = await database();
        await load(client, db, early);
        await load(client, db, late);
        await refreshPositions(client, db, 100);
        // Killed during the second, incremental refresh: earlier batches' rows are in, the progress row is not.
        const killed = failingInsert(client, 'positions', failAt);
        await expect(refreshPositions(killed, db, 160, { walletsPerBatch: 5, rowsPerInsert: 1 })).rejects.toThrow(/killed/);
        if (failAt > 1) expect(await count(client, `SELECT count() AS n FROM ${db}.positions WHERE block_number > 100`)).toBeGreaterThan(0);
        // A re-run that reaches further than the killed one applies events after those it wrote: none may count twice.
        const rerun = await refreshPositions(client, db, rerunTo, { walletsPerBatch: 3 });
        expect(rerun.fromBlock).toBe(100);
        expect(await stored(client, db)).toEqual(scratch(early, upTo(late, rerunTo)));
        await refreshPositions(client, db, 200);
        expect(await stored(client, db)).toEqual(scratch(early, late));
      }
    }
  });

  it('stops between batches when its time budget says so, and the next refresh finishes that window before going further', async () => {
    const db = await database();
    await load(client, db, early);
    await load(client, db, upTo(late, 150));
    let batches = 0;
    const cut = await refreshPositions(client, db, 150, { walletsPerBatch: 3, shouldStop: () => ++batches >= 2 });
    expect(cut).toMatchObject({ fromBlock: 0, upToBlock: 150, complete: false, wallets: 6 });
    expect(await count(client, `SELECT count() AS n FROM ${db}.positions_progress`)).toBe(0);
    const done = new Set((await stored(client, db)).map((p) => p.wallet));
    expect(done.size).toBeGreaterThan(0);
    expect(done.size).toBeLessThan(WALLETS.length);

    // More events arrive and the watermark moves on: the refresh first finishes the window it began (to 150), as one
    // that had not stopped would have left it, and says it is not at 200 yet.
    await load(client, db, late);
    const resumed = await refreshPositions(client, db, 200, { walletsPerBatch: 3 });
    const window = upTo({ fills: [...early.fills, ...late.fills], activity: [...early.activity, ...late.activity] }, 150);
    // The counts are the whole window's: the part done before the stop and the rest.
    expect(resumed).toMatchObject({ fromBlock: 0, upToBlock: 150, complete: false, wallets: walletsOf(window) });
    expect(resumed.events).toBe(window.fills.length + window.activity.length);
    expect(await stored(client, db)).toEqual(scratch(early, upTo(late, 150)));

    const rest = await refreshPositions(client, db, 200, { walletsPerBatch: 3 });
    expect(rest).toMatchObject({ fromBlock: 150, upToBlock: 200, complete: true });
    expect(await stored(client, db)).toEqual(scratch(early, late));
  });

  it('recovers from a kill before the progress row, and from a re-run that reaches further', async () => {
    const db = await database();
    await load(client, db, early);
    await load(client, db, late);
    await expect(refreshPositions(failingInsert(client, 'positions_progress', 1), db, 150)).rejects.toThrow(/killed/);
    const rerun = await refreshPositions(client, db, 200);
    expect(rerun).toMatchObject({ fromBlock: 0, upToBlock: 200 });
    expect(await stored(client, db)).toEqual(scratch(early, late));
  });

  it('stops with a clear error where a negative average price meets an unsigned column, and stores it in a signed one', async () => {
    // Converting two NOs bought at 0.30 among three questions prices the third YES at 2 * 0.30 - 1 = -0.40.
    const [q0no, q1no] = [0, 1].map((q) => String(outcomeTokenIds(WRAPPED_COLLATERAL, MARKETS.negRisk[q] as Hex)[1]));
    const who = WALLETS[0]!;
    const rows = {
      fills: [q0no, q1no].map((token, i): FillRow => ({
        ...early.fills[0]!,
        fill_id: `n${i}`,
        block_number: 10,
        log_index: i,
        maker: who,
        maker_asset_id: '0',
        taker_asset_id: token!,
        maker_amount_filled: String(3n * ONE),
        taker_amount_filled: String(10n * ONE),
        token_id: token!,
      })),
      activity: [
        {
          ...early.activity[0]!,
          event_id: `${hex32(11)}_0`,
          kind: 'convert' as const,
          contract: NEG_RISK_ADAPTER,
          stakeholder: who,
          wallet: who,
          collateral: '',
          condition_id: MARKETS.market,
          index_sets: ['3'],
          amounts: [],
          amount: String(ONE),
          block_number: 11,
          log_index: 0,
        },
      ],
    };
    const unsigned = await database();
    await client.command({ query: `ALTER TABLE ${unsigned}.positions MODIFY COLUMN avg_price UInt256` });
    await load(client, unsigned, rows);
    await expect(refreshPositions(client, unsigned, 20)).rejects.toThrow(NegativeAvgPriceError);
    expect(await count(client, `SELECT count() AS n FROM ${unsigned}.positions_progress`)).toBe(0);

    const signed = await database();
    await client.command({ query: `ALTER TABLE ${signed}.positions MODIFY COLUMN avg_price Int256` });
    await load(client, signed, rows);
    await refreshPositions(client, signed, 20);
    const expected = scratch(rows);
    expect(expected.some((p) => p.avg_price === '-400000')).toBe(true);
    expect(await stored(client, signed)).toEqual(expected);
  });
});
