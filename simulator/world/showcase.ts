import type { Address, Hex } from 'viem';
import type { EraContext } from './bulk.ts';
import type { WorldLog } from './logs.ts';
import type { WorldMarket } from './state.ts';
import { matchLogs, type MatchSpec } from './trades.ts';

/**
 * Shared pieces of the per-era showcases (showcase-v1.ts, showcase-v2.ts):
 * scripted transactions that put every trap a naive reader or P&L falls
 * into on chain, whatever the seed and sizes, with wallets of their own so
 * the bulk script cannot disturb the positions they rely on.
 */

/** Transactions for the block of one slot: `early` before the bulk trades, `late` after the bulk activity. */
export interface Showcase {
  early(slot: number, at: number): WorldLog[][];
  late(slot: number, at: number): WorldLog[][];
}

/** Slots the showcase uses; an era has at least `MIN_SLOTS`. */
export interface ShowcaseSlots {
  setup: number;
  trades: number;
  activity: number;
  lateQuestion: number;
  resolve: number;
  redeem: number;
}

export const MIN_SLOTS = 12;

export function showcaseSlots(slots: number): ShowcaseSlots {
  if (slots < MIN_SLOTS) throw new Error(`an era with a showcase needs at least ${MIN_SLOTS} slots`);
  const resolve = Math.max(6, Math.floor(slots * 0.6));
  return { setup: 1, trades: 2, activity: 3, lateQuestion: 4, resolve, redeem: resolve + 1 };
}

/** Whole shares in 1e6 units. */
export const sh = (n: number): bigint => BigInt(n) * 1_000_000n;

/** The taker sells `tokens` of `outcome` to `makers` buying it (split evenly). Fees on when asked. */
export function sellTo(c: EraContext, m: WorldMarket, outcome: 0 | 1, taker: Address, tokens: bigint, makers: readonly Address[], fees = false): MatchSpec {
  const each = tokens / BigInt(makers.length);
  return {
    version: c.version,
    market: m,
    outcome,
    kind: 'complementary',
    takerBuys: false,
    taker: { wallet: taker, tokens: 0n, priceMilli: 600n, fee: fees ? 2_000n : 0n },
    makers: makers.map((w, i) => ({
      wallet: w,
      tokens: i === makers.length - 1 ? tokens - each * BigInt(makers.length - 1) : each,
      priceMilli: 610n,
      fee: fees ? 1_000n : 0n,
    })),
  };
}

/** The taker buys `outcome` in a MINT match: each maker order (one wallet, maybe one order hash twice) buys the complement. */
export function buyByMint(
  c: EraContext,
  m: WorldMarket,
  outcome: 0 | 1,
  taker: Address,
  makers: readonly { wallet: Address; tokens: bigint; orderHash?: Hex }[],
): MatchSpec {
  return {
    version: c.version,
    market: m,
    outcome,
    kind: 'mint',
    takerBuys: true,
    taker: { wallet: taker, tokens: 0n, priceMilli: 550n, fee: 0n },
    makers: makers.map((o) => ({ ...o, priceMilli: 460n, fee: 0n })),
  };
}

export const trade = (c: EraContext, spec: MatchSpec): WorldLog[] => matchLogs(c.s, spec);

/** Payouts of a NegRisk market whose question `winner` resolves YES. */
export const negRiskPayouts = (index: number, winner: number): bigint[] => (index === winner ? [1n, 0n] : [0n, 1n]);

/** Fresh wallets for a showcase's roles. */
export function actors<K extends string>(c: EraContext, roles: readonly K[]): Record<K, Address> {
  return Object.fromEntries(roles.map((r) => [r, c.s.address()])) as Record<K, Address>;
}
