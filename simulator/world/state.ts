import type { Address, Hex } from 'viem';
import { Rng } from '#simulator/rng.ts';
import type { WorldAdapters } from './addresses.ts';

/** One binary condition the world trades: a standard market or one question of a NegRisk market. */
export interface WorldMarket {
  conditionId: Hex;
  questionId: Hex;
  oracle: Address;
  /** The CTF collateral of its positions: USDC.e, or WrappedCollateral for NegRisk. */
  collateral: Address;
  /** [YES, NO] = outcomeTokenIds(collateral, conditionId). */
  tokens: readonly [bigint, bigint];
  negRisk: { marketId: Hex; index: number } | null;
  question: string;
  slug: string;
  /** Era it was prepared in; V1 markets are registered on their V1 exchange. */
  era: 'v1' | 'v2';
  openedAt: number;
  /** Payout numerators once resolved. */
  payouts: bigint[] | null;
  resolvedAt: number | null;
}

/** A NegRisk market (NegRiskAdapter.prepareMarket) and its questions, in index order. */
export interface NegRiskEvent {
  marketId: Hex;
  oracle: Address;
  feeBips: bigint;
  data: Hex;
  questions: WorldMarket[];
}

/**
 * What the script knows while it writes: markets, and every wallet's real
 * ERC-1155 balance (what the CTF would hold), so sells, merges, conversions
 * and redemptions use positions that exist. Balances change as logs are
 * built, which is the order they are mined in.
 */
export class WorldState {
  readonly markets: WorldMarket[] = [];
  readonly events: NegRiskEvent[] = [];
  /** Markets the showcase resolves itself (or keeps open for good): the bulk script leaves their resolution alone. */
  readonly reserved = new Set<WorldMarket>();
  private readonly balances = new Map<string, bigint>();

  constructor(
    public rng: Rng,
    readonly adapters: WorldAdapters,
  ) {}

  balance(wallet: Address, token: bigint): bigint {
    return this.balances.get(`${wallet}|${token}`) ?? 0n;
  }

  add(wallet: Address, token: bigint, delta: bigint): void {
    const next = this.balance(wallet, token) + delta;
    if (next < 0n) throw new Error(`world script bug: ${wallet} would hold ${next} of ${token}`);
    this.balances.set(`${wallet}|${token}`, next);
  }

  /** Wallets among `pool` holding at least `min` of `token`, `except` excluded. */
  holders(pool: readonly Address[], token: bigint, min = 1n, except?: Address): Address[] {
    return pool.filter((w) => w !== except && this.balance(w, token) >= min);
  }

  hex32(): Hex {
    return this.rng.hexString(32) as Hex;
  }

  address(): Address {
    return this.rng.hexString(20) as Address;
  }

  /** Open (unresolved) markets, optionally NegRisk ones only or standard ones only. */
  open(kind?: 'negRisk' | 'standard'): WorldMarket[] {
    return this.markets.filter((m) => m.payouts === null && (kind === undefined || (kind === 'negRisk') === (m.negRisk !== null)));
  }
}

/** Amounts in 1e6 units: `shares` whole shares plus up to 0.99. */
export function shares(rng: Rng, lo: number, hi: number): bigint {
  return BigInt(rng.range(lo, hi)) * 1_000_000n + BigInt(rng.int(100)) * 10_000n;
}

/** USDC for `tokens` at `priceMilli` thousandths of a dollar, truncated. */
export function usdcFor(tokens: bigint, priceMilli: bigint): bigint {
  return (tokens * priceMilli) / 1000n;
}
