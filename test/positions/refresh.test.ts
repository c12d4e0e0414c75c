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
import type { ActivityKind, ActivityRow, ConditionRow, NegRiskQuestionRow } from '#shared/model/ledger.ts';
import { CONDITIONAL_TOKENS, CTF_EXCHANGE_V2, NEG_RISK_ADAPTER, NEG_RISK_EXCHANGE_V2, USDC_E, WRAPPED_COLLATERAL } from '#shared/positions/contracts.ts';
import { negRiskQuestionConditionId } from '#shared/positions/lookups.ts';
import { comparePositionRows, computePositions, type PositionRow, type PositionsInput } from '#shared/positions/method.ts';
import { NegativeAvgPriceError, refreshPositions } from '#shared/positions/refresh.ts';

const ONE = 1_000_000n;
const hex32 = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const WALLETS = Array.from({ length: 12 }, (_, i) => address(0x1000 + i * 0x111));
const PUSD_ADAPTER = address(0xada);

/** A small deterministic generator, so a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: <T>(xs: readonly T[]) => xs[int(0, xs.length - 1)]! };
}

/** Standard markets (one unresolved) and one NegRisk market whose fourth question is prepared at block 120. */
function markets() {
  const standard = [hex32(0xa1), hex32(0xa2), hex32(0xa3)];
  const market = `${hex32(0xbb).slice(0, -2)}00`;
  const questions: NegRiskQuestionRow[] = [0, 1, 2, 3].map((i) => ({
    market_id: market,
    question_id: hex32(0xbb00 + i),
    question_index: i,
    condition_id: negRiskQuestionConditionId(market, i),
    block_number: i < 3 ? 1 : 120,
    log_index: i,
  }));
  const payouts = [['1', '0'], ['0', '1'], []];
  const conditions: ConditionRow[] = [
    ...standard.map((id, i) => ({ id, oracle: address(0x0c1e), payouts: payouts[i]! })),
    ...questions.map((q, i) => ({ id: q.condition_id, oracle: NEG_RISK_ADAPTER, payouts: i === 0 ? ['1', '0'] : ['0', '1'] })),
  ].map(({ id, oracle, payouts: p }) => ({
    condition_id: id,
    oracle,
    question_id: hex32(7),
    outcome_slot_count: 2,
    payout_numerators: p,
    payout_denominator: String(p.reduce((a, b) => a + BigInt(b), 0n)),
    resolved_at: p.length ? 1_790_000_000 : null,
    block_number: 1,
    log_index: 9,
    transaction_hash: hex32(1),
  }));
  const tokens = [
    ...standard.flatMap((id) => outcomeTokenIds(USDC_E, id as Hex)),
    ...questions.flatMap((q) => outcomeTokenIds(WRAPPED_COLLATERAL, q.condition_id as Hex)),
  ].map(String);
  return { standard, market, questions, conditions, tokens, negRisk: questions.map((q) => q.condition_id) };
}

const MARKETS = markets();

/** Fills and activity of every kind in blocks [from, to], a few per block, in log order. */
function events(seed: number, from: number, to: number): { fills: FillRow[]; activity: ActivityRow[] } {
  const r = prng(seed);
  const fills: FillRow[] = [];
  const activity: ActivityRow[] = [];
  for (let block = from; block <= to; block++) {
    const n = r.int(1, 4);
    for (let log = 0; log < n; log++) {
      const wallet = r.pick(WALLETS);
      const roll = r.next();
      const base = { block_number: block, log_index: log, timestamp: 1_790_000_000 + block, transaction_hash: hex32(block) };
      if (roll < 0.6) {
        const token = r.pick(MARKETS.tokens);
        const shares = BigInt(r.int(1, 40)) * ONE + BigInt(r.int(0, 999));
        const usdc = (shares * BigInt(r.int(1, 99))) / 100n;
        const buy = r.next() < 0.6;
        fills.push({
          ...base,
          fill_id: `${hex32(block)}_${log}`,
          source: 'chain',
          exchange: CTF_EXCHANGE_V2,
          order_hash: hex32(log),
          maker: wallet,
          taker: r.next() < 0.5 ? CTF_EXCHANGE_V2 : r.pick(WALLETS),
          maker_asset_id: buy ? '0' : token,
          taker_asset_id: buy ? token : '0',
          maker_amount_filled: String(buy ? usdc : shares),
          taker_amount_filled: String(buy ? shares : usdc),
          fee: String(r.int(0, 5000)),
          token_id: token,
          side: buy ? 'BUY' : 'SELL',
          usdc_amount: String(usdc),
          token_amount: String(shares),
          price: Number(usdc) / Number(shares),
        });
        continue;
      }
      const negRisk = r.next() < 0.5;
      const kind: ActivityKind = roll < 0.72 ? 'split' : roll < 0.82 ? 'merge' : roll < 0.9 ? 'redeem' : negRisk ? 'convert' : 'merge';
      const viaAdapter = r.next() < 0.3;
      const stakeholder = r.next() < 0.05 ? (negRisk ? NEG_RISK_EXCHANGE_V2 : NEG_RISK_ADAPTER) : viaAdapter ? PUSD_ADAPTER : wallet;
      const amount = BigInt(r.int(1, 20)) * ONE;
      // Conversions of a single NO keep the YES price at or above zero, which positions.avg_price (UInt256) needs.
      const condition = kind === 'convert' ? MARKETS.market : negRisk ? r.pick(MARKETS.negRisk) : r.pick(MARKETS.standard);
      activity.push({
        ...base,
        event_id: `${hex32(block)}_${log}`,
        kind,
        contract: negRisk ? NEG_RISK_ADAPTER : CONDITIONAL_TOKENS,
        stakeholder,
        wallet: stakeholder === PUSD_ADAPTER ? wallet : stakeholder,
        collateral: negRisk ? '' : USDC_E,
        condition_id: condition,
        index_sets: kind === 'convert' ? [String(1n << BigInt(r.int(0, 2)))] : negRisk ? [] : ['1', '2'],
        amounts: kind === 'redeem' && negRisk ? [String(amount), String(BigInt(r.int(0, 20)) * ONE)] : [],
        amount: kind === 'redeem' ? '0' : String(amount),
        payout: '0',
      });
    }
  }
  return { fills, activity };
}

async function insert(client: ClickHouseClient, db: string, table: string, values: object[]): Promise<void> {
  if (values.length) await client.insert({ table: `${db}.${table}`, values, format: 'JSONEachRow' });
}

async function load(client: ClickHouseClient, db: string, rows: { fills: FillRow[]; activity: ActivityRow[] }): Promise<void> {
  await insert(client, db, 'fills', rows.fills);
  await insert(client, db, 'activity', rows.activity);
}

async function stored(client: ClickHouseClient, db: string): Promise<PositionRow[]> {
  const res = await client.query({
    query: `SELECT wallet, toString(token_id) AS token_id, toString(amount) AS amount, toString(avg_price) AS avg_price,
                   toString(realized_pnl) AS realized_pnl, toString(total_bought) AS total_bought, block_number, log_index
            FROM ${db}.positions FINAL`,
    format: 'JSONEachRow',
  });
  const rows = (await res.json()) as (PositionRow & { block_number: string })[];
  return rows.map((r) => ({ ...r, block_number: Number(r.block_number), log_index: Number(r.log_index) })).sort(comparePositionRows);
}

const walletsOf = (rows: { fills: FillRow[]; activity: ActivityRow[] }) =>
  new Set([...rows.fills.map((f) => f.maker), ...rows.activity.map((a) => a.wallet)]).size;

const count = async (client: ClickHouseClient, query: string) =>
  Number(((await (await client.query({ query, format: 'JSONEachRow' })).json()) as [{ n: string }])[0].n);

/** Fails the `failAt`-th insert into `table`, as a process killed there would leave things. */
function failingInsert(client: ClickHouseClient, table: string, failAt: number): ClickHouseClient {
  let seen = 0;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'insert') {
        return async (params: Parameters<ClickHouseClient['insert']>[0]) => {
          if (params.table.endsWith(`.${table}`) && ++seen === failAt) throw new Error(`killed at insert ${failAt} into ${table}`);
          return target.insert(params);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

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
