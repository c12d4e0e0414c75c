import type { Address } from 'viem';
import { convertLogs, mergeLogs, redeemLogs, splitLogs, transferLogs, type Route } from './flows.ts';
import type { WorldLog } from './logs.ts';
import { shares, type NegRiskEvent, type WorldMarket, type WorldState } from './state.ts';
import type { MatchSpec, Order } from './trades.ts';

/**
 * Random but valid trading and activity: every sell, merge, conversion and
 * redemption uses positions the wallet really holds (the traps that break
 * that on purpose live in showcase.ts).
 */

export interface EraContext {
  s: WorldState;
  version: 1 | 2;
  /** Traders of the era. */
  wallets: Address[];
  /** Share of activity that goes through the collateral adapters (0 in V1). */
  adapterShare: number;
}

const ONE = 1_000_000n;
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export const routeOf = (c: EraContext): Route => (c.s.rng.chance(c.adapterShare) ? 'adapter' : 'direct');

function sample<T>(c: EraContext, pool: readonly T[], k: number): T[] {
  const copy = [...pool];
  const n = Math.min(k, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + c.s.rng.int(copy.length - i);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, n);
}

const fee = (c: EraContext): bigint => (c.s.rng.chance(0.2) ? BigInt(c.s.rng.range(1, 50_000)) : 0n);
const price = (lo: number, hi: number, p: number): bigint => BigInt(Math.max(lo, Math.min(hi, p)));

/** A match on `m` that the traders' positions allow. */
export function randomMatch(c: EraContext, m: WorldMarket): MatchSpec {
  const { rng } = c.s;
  const outcome = rng.int(2) as 0 | 1;
  const token = m.tokens[outcome];
  const complement = m.tokens[outcome === 0 ? 1 : 0];
  const p = rng.range(30, 970);
  const taker = rng.pick(c.wallets);
  const takerOrder = (priceMilli: number): Order => ({ wallet: taker, tokens: 0n, priceMilli: price(10, 990, priceMilli), fee: fee(c) });
  const others = c.wallets.filter((w) => w !== taker);
  const n = rng.range(1, 3);
  const base = { version: c.version, market: m, outcome } as const;
  const sellers = c.s.holders(others, token, ONE);
  const held = c.s.balance(taker, token);
  const complementSellers = c.s.holders(others, complement, ONE);
  const roll = rng.float();

  if (roll < 0.35 && sellers.length > 0) {
    const makers = sample(c, sellers, n).map((w) => ({
      wallet: w,
      tokens: min(c.s.balance(w, token), shares(rng, 1, 400)),
      priceMilli: price(10, 990, p - rng.int(10)),
      fee: fee(c),
    }));
    return { ...base, kind: 'complementary', takerBuys: true, taker: takerOrder(p), makers };
  }
  if (roll < 0.6 && held >= ONE) {
    let left = min(held, shares(rng, 1, 600));
    const makers: Order[] = [];
    for (const w of sample(c, others, n)) {
      const t = makers.length === n - 1 ? left : left / 2n;
      if (t <= 0n) break;
      makers.push({ wallet: w, tokens: t, priceMilli: price(10, 990, p + rng.int(10)), fee: fee(c) });
      left -= t;
    }
    if (makers.length > 0) return { ...base, kind: 'complementary', takerBuys: false, taker: takerOrder(p), makers };
  }
  if (roll < 0.75 && held >= ONE && complementSellers.length > 0) {
    let left = min(held, shares(rng, 1, 600));
    const makers: Order[] = [];
    for (const w of sample(c, complementSellers, n)) {
      const t = min(left, c.s.balance(w, complement));
      if (t <= 0n) break;
      makers.push({ wallet: w, tokens: t, priceMilli: price(10, 990, 1000 - p - rng.int(10)), fee: fee(c) });
      left -= t;
    }
    if (makers.length > 0) return { ...base, kind: 'merge', takerBuys: false, taker: takerOrder(p), makers };
  }
  const makers = sample(c, others, n).map((w) => ({ wallet: w, tokens: shares(rng, 1, 300), priceMilli: price(10, 990, 1000 - p + rng.int(10)), fee: fee(c) }));
  return { ...base, kind: 'mint', takerBuys: true, taker: takerOrder(p), makers };
}

/** A wallet and market where the wallet holds both outcomes. */
function mergeable(c: EraContext, markets: readonly WorldMarket[]): { wallet: Address; market: WorldMarket; amount: bigint } | null {
  for (const m of sample(c, markets, 12)) {
    for (const w of sample(c, c.wallets, 12)) {
      const amount = min(c.s.balance(w, m.tokens[0]), c.s.balance(w, m.tokens[1]));
      if (amount >= ONE) return { wallet: w, market: m, amount: amount / 2n };
    }
  }
  return null;
}

/** A conversion: some wallet's NO positions in an open NegRisk market. */
function convertible(c: EraContext): { wallet: Address; event: NegRiskEvent; indexSet: bigint; amount: bigint } | null {
  const events = c.s.events.filter((e) => e.questions.length >= 2 && e.questions.every((q) => q.payouts === null));
  for (const ev of sample(c, events, 4)) {
    for (const w of sample(c, c.wallets, 12)) {
      const held = ev.questions.map((q, i) => ({ i, amount: c.s.balance(w, q.tokens[1]) })).filter((x) => x.amount >= ONE);
      if (held.length === 0) continue;
      const chosen = sample(c, held, c.s.rng.range(1, held.length));
      const indexSet = chosen.reduce((acc, x) => acc | (1n << BigInt(x.i)), 0n);
      const amount = chosen.reduce((acc, x) => min(acc, x.amount), chosen[0]?.amount ?? 0n);
      return { wallet: w, event: ev, indexSet, amount: amount / 2n > 0n ? amount / 2n : amount };
    }
  }
  return null;
}

/** A wallet holding positions of a resolved market, and the markets it can redeem. */
function redeemable(c: EraContext): { wallet: Address; markets: WorldMarket[] } | null {
  const resolved = c.s.markets.filter((m) => m.payouts !== null);
  for (const w of sample(c, c.wallets, c.wallets.length)) {
    const mine = resolved.filter((m) => c.s.balance(w, m.tokens[0]) > 0n || c.s.balance(w, m.tokens[1]) > 0n);
    if (mine.length > 0) return { wallet: w, markets: mine.slice(0, c.s.rng.chance(0.3) ? 2 : 1) };
  }
  return null;
}

/**
 * One user operation as the transactions it takes (usually one). Splits open
 * positions; merges, conversions and redemptions close them; a plain
 * transfer moves some between wallets.
 */
export function randomOperation(c: EraContext): WorldLog[][] {
  const { s } = c;
  const roll = s.rng.float();
  if (roll < 0.2) {
    const m = mergeable(c, s.open());
    if (m) return [mergeLogs(s, routeOf(c), m.wallet, m.market, m.amount)];
  } else if (roll < 0.35) {
    const x = convertible(c);
    if (x) return [convertLogs(s, routeOf(c), x.wallet, x.event, x.indexSet, x.amount)];
  } else if (roll < 0.65) {
    const r = redeemable(c);
    // Redeeming two markets in one transaction: one wallet, two flows through the same contracts.
    if (r) {
      const route = routeOf(c);
      return [r.markets.flatMap((m) => redeemLogs(s, route, r.wallet, m).logs)];
    }
  } else if (roll < 0.72) {
    const from = s.rng.pick(c.wallets);
    const held = s.markets.flatMap((m) => m.tokens.filter((t) => s.balance(from, t) >= ONE));
    if (held.length > 0) {
      const token = s.rng.pick(held);
      const to = s.rng.pick(c.wallets.filter((w) => w !== from));
      return [transferLogs(s, from, to, token, s.balance(from, token) / 3n)];
    }
  }
  const open = s.open();
  if (open.length === 0) return [];
  return [splitLogs(s, routeOf(c), s.rng.pick(c.wallets), s.rng.pick(open), shares(s.rng, 5, 400))];
}
