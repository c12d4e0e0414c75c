import type { ClickHouseClient } from '@clickhouse/client';
import type { Hex } from 'viem';
import { outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import type { FillRow } from '#shared/model/fill.ts';
import type { ActivityKind, ActivityRow, ConditionRow, NegRiskQuestionRow } from '#shared/model/ledger.ts';
import { CONDITIONAL_TOKENS, CTF_EXCHANGE_V2, NEG_RISK_ADAPTER, NEG_RISK_EXCHANGE_V2, USDC_E, WRAPPED_COLLATERAL } from '#shared/positions/contracts.ts';
import { negRiskQuestionConditionId } from '#shared/positions/lookups.ts';
import { comparePositionRows, type PositionRow } from '#shared/positions/method.ts';

/** A small ledger of every event kind over a few markets and wallets, and the warehouse helpers the positions tests share. */

export const ONE = 1_000_000n;
export const hex32 = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
export const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
export const WALLETS = Array.from({ length: 12 }, (_, i) => address(0x1000 + i * 0x111));
export const PUSD_ADAPTER = address(0xada);

/** A small deterministic generator, so a failure can be replayed. */
export function prng(seed: number) {
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
export function markets() {
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

export const MARKETS = markets();

/** Fills and activity of every kind in blocks [from, to], a few per block, in log order. */
export function events(seed: number, from: number, to: number): { fills: FillRow[]; activity: ActivityRow[] } {
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

export async function insert(client: ClickHouseClient, db: string, table: string, values: object[]): Promise<void> {
  if (values.length) await client.insert({ table: `${db}.${table}`, values, format: 'JSONEachRow' });
}

export async function load(client: ClickHouseClient, db: string, rows: { fills: FillRow[]; activity: ActivityRow[] }): Promise<void> {
  await insert(client, db, 'fills', rows.fills);
  await insert(client, db, 'activity', rows.activity);
}

export async function stored(client: ClickHouseClient, db: string): Promise<PositionRow[]> {
  const res = await client.query({
    query: `SELECT wallet, toString(token_id) AS token_id, toString(amount) AS amount, toString(avg_price) AS avg_price,
                   toString(realized_pnl) AS realized_pnl, toString(total_bought) AS total_bought, block_number, log_index
            FROM ${db}.positions FINAL`,
    format: 'JSONEachRow',
  });
  const rows = (await res.json()) as (PositionRow & { block_number: string })[];
  return rows.map((r) => ({ ...r, block_number: Number(r.block_number), log_index: Number(r.log_index) })).sort(comparePositionRows);
}

export const walletsOf = (rows: { fills: FillRow[]; activity: ActivityRow[] }) =>
  new Set([...rows.fills.map((f) => f.maker), ...rows.activity.map((a) => a.wallet)]).size;

export const count = async (client: ClickHouseClient, query: string) =>
  Number(((await (await client.query({ query, format: 'JSONEachRow' })).json()) as [{ n: string }])[0].n);

/** Fails the `failAt`-th insert into `table`, as a process killed there would leave things. */
export function failingInsert(client: ClickHouseClient, table: string, failAt: number): ClickHouseClient {
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
