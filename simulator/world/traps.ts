import type { Address, Hex } from 'viem';
import { outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import type { ActivityKind, ActivityRow } from '#shared/model/ledger.ts';
import type { FillRow } from '#shared/model/fill.ts';
import { NEG_RISK_ADAPTER, V1_EXCHANGES, V2_EXCHANGES, WRAPPED_COLLATERAL } from '#shared/sources/chain/events/addresses.ts';
import type { WorldAdapters } from './addresses.ts';
import type { ExpectedWorld } from './expected.ts';

/**
 * How often each trap occurs in the rows a correct reader loads: a property
 * of the data (computed from the expected rows alone), so a test proves the
 * traps are on chain by first proving the rows equal the decoded logs.
 */
export interface TrapCounts {
  feeFills: number;
  /** Fills of the taker order: `taker` is the exchange itself. */
  takerOrderFills: number;
  /** Fills in transactions without a taker-order fill (the operator's fillOrder). */
  operatorFills: number;
  /** (transaction, maker, token) with a BUY and a SELL. */
  sameTxBuySell: number;
  /** (block, maker, token) with a BUY and a SELL in different transactions. */
  sameBlockBuySell: number;
  /** (transaction, order hash) filled more than once: one subgraph entity. */
  doubleFilledOrders: number;
  /** Maker SELLs of more than the position the fills and activity account for. */
  oversells: number;
  /** (wallet, condition) where the wallet sold a token it got by splitting. */
  splitThenSell: number;
  /** Merges by wallets (not an exchange's or the NegRiskAdapter's own). */
  merges: number;
  winningRedemptions: number;
  /** Redemptions paying 0 of positions the wallet held. */
  losingRedemptions: number;
  unresolvedConditions: number;
  resolutions: { yesWins: number; noWins: number; splitPayout: number; moreThanTwoOutcomes: number };
  /** Conversions by how many NO positions they convert (k), and how many convert all N. */
  conversions: { byK: Record<number, number>; allQuestions: number; maxQuestions: number };
  adapterRouted: Record<ActivityKind, number>;
  /** Adapter rows whose real wallet is an exchange (a V2 MINT or MERGE match). */
  adapterForExchange: number;
  /** Activity whose stakeholder is an exchange (its MINT/MERGE matches). */
  exchangeStakeholder: number;
  /** CTF activity whose stakeholder is the NegRiskAdapter (the inner leg of its own operations). */
  negRiskAdapterStakeholder: number;
  /** Transactions with two or more adapter rows. */
  multiFlowTransactions: number;
  /** Wallets with fills or activity in both eras. */
  bothEraWallets: number;
  /** Tokens with fills on a V1 and on a V2 exchange. */
  crossEraTokens: number;
  /** Traded tokens without a registry claim (V2 has no registry). */
  unregisteredTradedTokens: number;
  /** NegRisk questions prepared after their market's first block. */
  lateQuestions: number;
}

const EXCHANGES = new Set<string>([...V1_EXCHANGES, ...V2_EXCHANGES]);
const V1 = new Set<string>(V1_EXCHANGES);

const bump = <K>(m: Map<K, number>, k: K, by = 1): void => void m.set(k, (m.get(k) ?? 0) + by);
const countIf = <T>(xs: readonly T[], p: (x: T) => boolean): number => xs.reduce((n, x) => n + (p(x) ? 1 : 0), 0);

type Event = { kind: 'fill'; row: FillRow } | { kind: 'activity'; row: ActivityRow };

/** Replays position amounts the pnl-subgraph way (DATA.md section 4) to find oversells, split-then-sells and losing redemptions. */
function replay(e: ExpectedWorld, counts: TrapCounts): void {
  const amount = new Map<string, bigint>();
  const get = (w: string, t: bigint | string) => amount.get(`${w}|${t}`) ?? 0n;
  const set = (w: string, t: bigint | string, v: bigint) => amount.set(`${w}|${t}`, v);
  const fromSplit = new Set<string>();
  const sold = new Set<string>();
  const questions = new Map<string, { index: number; condition: string; at: number }[]>();
  for (const q of e.negRiskQuestions)
    questions.set(q.market_id, [
      ...(questions.get(q.market_id) ?? []),
      { index: q.question_index, condition: q.condition_id, at: q.block_number * 1e6 + q.log_index },
    ]);
  const events: Event[] = [...e.fills.map((row) => ({ kind: 'fill' as const, row })), ...e.activity.map((row) => ({ kind: 'activity' as const, row }))];
  const at = (x: Event) => x.row.block_number * 1e6 + x.row.log_index;
  events.sort((a, b) => at(a) - at(b));
  for (const ev of events) {
    if (ev.kind === 'fill') {
      const f = ev.row;
      const qty = BigInt(f.token_amount);
      const held = get(f.maker, f.token_id);
      if (f.side === 'BUY') set(f.maker, f.token_id, held + qty);
      else {
        if (qty > held) counts.oversells++;
        set(f.maker, f.token_id, held - (qty < held ? qty : held));
        const key = `${f.maker}|${f.token_id}`;
        if (fromSplit.has(key) && !sold.has(key)) {
          sold.add(key);
          counts.splitThenSell++;
        }
      }
      continue;
    }
    const a = ev.row;
    if (EXCHANGES.has(a.wallet) || (a.contract !== NEG_RISK_ADAPTER && a.stakeholder === NEG_RISK_ADAPTER)) continue;
    const ids = a.kind === 'convert' ? [] : outcomeTokenIds(a.collateral as Address, a.condition_id as Hex, 2);
    if (a.kind === 'split' || a.kind === 'merge') {
      for (const id of ids) {
        const held = get(a.wallet, id);
        const q = BigInt(a.amount);
        set(a.wallet, id, a.kind === 'split' ? held + q : held - (q < held ? q : held));
        if (a.kind === 'split') fromSplit.add(`${a.wallet}|${id}`);
      }
      if (a.kind === 'merge') counts.merges++;
    } else if (a.kind === 'redeem') {
      const before = ids.reduce((s, id) => s + get(a.wallet, id), 0n);
      for (const [i, id] of ids.entries()) {
        const q = a.amounts.length > 0 ? BigInt(a.amounts[i] ?? '0') : get(a.wallet, id);
        set(a.wallet, id, get(a.wallet, id) - (q < get(a.wallet, id) ? q : get(a.wallet, id)));
      }
      if (BigInt(a.payout) > 0n) counts.winningRedemptions++;
      else if (before > 0n) counts.losingRedemptions++;
    } else {
      const set_ = BigInt(a.index_sets[0] ?? '0');
      const qs = (questions.get(a.condition_id) ?? []).filter((q) => q.at < at(ev));
      const k = qs.filter((q) => (set_ >> BigInt(q.index)) & 1n).length;
      counts.conversions.byK[k] = (counts.conversions.byK[k] ?? 0) + 1;
      if (k === qs.length) counts.conversions.allQuestions++;
      counts.conversions.maxQuestions = Math.max(counts.conversions.maxQuestions, qs.length);
      for (const q of qs) {
        const [yes, no] = outcomeTokenIds(WRAPPED_COLLATERAL, q.condition as Hex, 2) as [bigint, bigint];
        const q_ = BigInt(a.amount);
        if ((set_ >> BigInt(q.index)) & 1n) set(a.wallet, no, get(a.wallet, no) - (q_ < get(a.wallet, no) ? q_ : get(a.wallet, no)));
        else set(a.wallet, yes, get(a.wallet, yes) + q_);
      }
    }
  }
}

export function countTraps(e: ExpectedWorld, o: { adapters: WorldAdapters; v2FirstBlock: number }): TrapCounts {
  const adapters = new Set<string>([o.adapters.ctf, o.adapters.negRisk].map((a) => a.toLowerCase()));
  const isAdapterRow = (a: ActivityRow) => adapters.has(a.stakeholder);
  const counts: TrapCounts = {
    feeFills: countIf(e.fills, (f) => f.fee !== '0'),
    takerOrderFills: countIf(e.fills, (f) => f.taker === f.exchange),
    operatorFills: 0,
    sameTxBuySell: 0,
    sameBlockBuySell: 0,
    doubleFilledOrders: 0,
    oversells: 0,
    splitThenSell: 0,
    merges: 0,
    winningRedemptions: 0,
    losingRedemptions: 0,
    unresolvedConditions: countIf(e.conditions, (c) => c.resolved_at === null),
    resolutions: {
      yesWins: countIf(e.conditions, (c) => c.payout_numerators.join() === '1,0'),
      noWins: countIf(e.conditions, (c) => c.payout_numerators.join() === '0,1'),
      splitPayout: countIf(e.conditions, (c) => c.payout_numerators.join() === '1,1'),
      moreThanTwoOutcomes: countIf(e.conditions, (c) => c.outcome_slot_count > 2 && c.resolved_at !== null),
    },
    conversions: { byK: {}, allQuestions: 0, maxQuestions: 0 },
    adapterRouted: { split: 0, merge: 0, redeem: 0, convert: 0 },
    adapterForExchange: countIf(e.activity, (a) => isAdapterRow(a) && EXCHANGES.has(a.wallet)),
    exchangeStakeholder: countIf(e.activity, (a) => EXCHANGES.has(a.stakeholder)),
    negRiskAdapterStakeholder: countIf(e.activity, (a) => a.stakeholder === NEG_RISK_ADAPTER && a.contract !== NEG_RISK_ADAPTER),
    multiFlowTransactions: 0,
    bothEraWallets: 0,
    crossEraTokens: 0,
    unregisteredTradedTokens: 0,
    lateQuestions: 0,
  };
  for (const a of e.activity) if (isAdapterRow(a) && !EXCHANGES.has(a.wallet)) counts.adapterRouted[a.kind]++;
  const adapterRowsPerTx = new Map<string, number>();
  for (const a of e.activity) if (isAdapterRow(a)) bump(adapterRowsPerTx, a.transaction_hash);
  counts.multiFlowTransactions = countIf([...adapterRowsPerTx.values()], (n) => n >= 2);

  const takerTxs = new Set(e.fills.filter((f) => f.taker === f.exchange).map((f) => f.transaction_hash));
  counts.operatorFills = countIf(e.fills, (f) => !takerTxs.has(f.transaction_hash));
  const sides = new Map<string, Set<string>>();
  const txSides = new Map<string, Map<string, string>>();
  const orders = new Map<string, number>();
  for (const f of e.fills) {
    const tx = `${f.transaction_hash}|${f.maker}|${f.token_id}`;
    sides.set(tx, (sides.get(tx) ?? new Set()).add(f.side));
    const block = `${f.block_number}|${f.maker}|${f.token_id}`;
    txSides.set(block, (txSides.get(block) ?? new Map()).set(`${f.transaction_hash}|${f.side}`, f.side));
    bump(orders, `${f.transaction_hash}|${f.order_hash}`);
  }
  counts.sameTxBuySell = countIf([...sides.values()], (s) => s.size === 2);
  for (const m of txSides.values()) {
    const keys = [...m.keys()].map((k) => k.split('|') as [string, string]);
    if (keys.some(([tx, side]) => side === 'BUY' && keys.some(([tx2, side2]) => side2 === 'SELL' && tx2 !== tx))) counts.sameBlockBuySell++;
  }
  counts.doubleFilledOrders = countIf([...orders.values()], (n) => n >= 2);

  const eraOf = new Map<string, Set<'v1' | 'v2'>>();
  const mark = (w: string, era: 'v1' | 'v2') => eraOf.set(w, (eraOf.get(w) ?? new Set()).add(era));
  const tokenEras = new Map<string, Set<boolean>>();
  for (const f of e.fills) {
    mark(f.maker, V1.has(f.exchange) ? 'v1' : 'v2');
    tokenEras.set(f.token_id, (tokenEras.get(f.token_id) ?? new Set()).add(V1.has(f.exchange)));
  }
  for (const a of e.activity) if (!EXCHANGES.has(a.wallet) && a.wallet !== NEG_RISK_ADAPTER) mark(a.wallet, a.block_number >= o.v2FirstBlock ? 'v2' : 'v1');
  counts.bothEraWallets = countIf([...eraOf.values()], (s) => s.size === 2);
  counts.crossEraTokens = countIf([...tokenEras.values()], (s) => s.size === 2);
  const registered = new Set(e.tokenClaims.filter((c) => c.source === 'registry').map((c) => c.token_id));
  counts.unregisteredTradedTokens = countIf([...tokenEras.keys()], (t) => !registered.has(t));
  const firstBlock = new Map<string, number>();
  for (const q of e.negRiskQuestions) firstBlock.set(q.market_id, Math.min(firstBlock.get(q.market_id) ?? Infinity, q.block_number));
  counts.lateQuestions = countIf(e.negRiskQuestions, (q) => q.block_number > (firstBlock.get(q.market_id) ?? Infinity));
  replay(e, counts);
  return counts;
}
