import type { Address } from 'viem';
import { randomMatch, randomOperation, type EraContext } from './bulk.ts';
import type { WorldLog } from './logs.ts';
import { openNegRiskMarket, openStandardMarket, registerLogs, resolveLogs } from './markets.ts';
import type { Showcase } from './showcase.ts';
import type { WorldMarket, WorldState } from './state.ts';
import { fillCount, matchLogs } from './trades.ts';
import type { ChainWriter } from './writer.ts';

/**
 * One era of the world: `slots` blocks spread over (start, end], each with
 * the era's new markets (prepared, and in V1 registered, before any fill),
 * the showcase's scripted transactions, random matches, random user
 * operations and resolutions, with empty blocks between them.
 */
export interface EraOptions {
  era: 'v1' | 'v2';
  /** Block times lie in (start, end], unix seconds. */
  start: number;
  end: number;
  /** OrderFilled logs the random matches aim at (the showcase adds its own). */
  fills: number;
  /** Random user operations (splits, merges, conversions, redemptions, transfers). */
  activity: number;
  standardMarkets: number;
  negRiskMarkets: number;
  wallets: Address[];
  fillsPerTransaction: number;
  maxEmptyBlocks: number;
  /** Share of the open markets (not the showcase's) that resolve during the era. */
  resolveShare: number;
  adapterShare: number;
  showcase: ((c: EraContext, slots: number) => Showcase) | null;
  /** The era's wallet creations and relayed calls, by slot (see wallets.ts). */
  walletLogs: ((slots: number) => (k: number) => WorldLog[][]) | null;
  /** At least this many blocks with transactions (the showcase needs 12). */
  minSlots: number;
  /** The era's first block directly follows the head (no empty blocks), e.g. the world's first block. */
  firstBlockExact: boolean;
  /**
   * The side of the era that meets the exchange migration. Trading went on across it, so V1's last
   * trading block is at `end` (its last fill) and V2's first within half a minute of `start`, whatever
   * the world's density: a sparse world's slots otherwise left a day between the eras, which `check`
   * rightly reports as a gap at the seam.
   */
  meetsMigration?: 'at-end' | 'at-start';
}

function slotTimes(s: WorldState, o: EraOptions, slots: number): number[] {
  const span = o.end - o.start;
  const times = Array.from({ length: slots }, (_, k) => o.start + Math.max(1, Math.floor((span * (k + 0.5 + 0.6 * (s.rng.float() - 0.5))) / slots)));
  if (o.meetsMigration === 'at-end') times[slots - 1] = o.end;
  if (o.meetsMigration === 'at-start') times[0] = Math.min(times[0] as number, o.start + 30);
  return times;
}

/** Slot → how many standard and NegRisk markets open in it. */
function openings(s: WorldState, o: EraOptions, slots: number): Map<number, { standard: number; negRisk: number }> {
  const at = new Map<number, { standard: number; negRisk: number }>();
  const bump = (slot: number, key: 'standard' | 'negRisk') => {
    const e = at.get(slot) ?? { standard: 0, negRisk: 0 };
    e[key]++;
    at.set(slot, e);
  };
  const early = Math.ceil(o.standardMarkets / 3);
  for (let i = 0; i < o.standardMarkets; i++) bump(i < early ? 0 : s.rng.range(0, Math.floor(slots * 0.6)), 'standard');
  // The NegRisk exchange came later in V1 (block 50,505,492): its markets open in the era's second third.
  const [lo, hi] = o.era === 'v1' ? [Math.floor(slots * 0.3), Math.floor(slots * 0.6)] : [0, Math.floor(slots * 0.5)];
  for (let i = 0; i < o.negRiskMarkets; i++) bump(s.rng.range(lo, hi), 'negRisk');
  return at;
}

function openMarkets(s: WorldState, o: EraOptions, plan: { standard: number; negRisk: number } | undefined, t: number): WorldLog[][] {
  if (!plan) return [];
  const logs: WorldLog[] = [];
  const register = (m: WorldMarket) => (o.era === 'v1' ? registerLogs(m) : []);
  for (let i = 0; i < plan.standard; i++) {
    const x = openStandardMarket(s, o.era, t);
    logs.push(...x.logs, ...register(x.market));
  }
  for (let i = 0; i < plan.negRisk; i++) {
    const x = openNegRiskMarket(s, o.era, t, s.rng.range(3, 6));
    logs.push(...x.logs, ...x.event.questions.flatMap(register));
  }
  return [logs];
}

/** Random resolutions: standard markets [1,0], [0,1] or now and then [1,1]; a NegRisk market resolves whole, one question YES. */
function randomResolutions(s: WorldState, chance: number, t: number): WorldLog[] {
  const logs: WorldLog[] = [];
  const free = (m: WorldMarket) => m.payouts === null && !s.reserved.has(m) && m.openedAt < t;
  for (const m of s.markets) {
    if (m.negRisk || !free(m) || !s.rng.chance(chance)) continue;
    const r = s.rng.float();
    logs.push(...resolveLogs(m, r < 0.45 ? [1n, 0n] : r < 0.9 ? [0n, 1n] : [1n, 1n], t));
  }
  for (const ev of s.events) {
    if (!ev.questions.every(free) || !s.rng.chance(chance)) continue;
    const winner = s.rng.int(ev.questions.length);
    for (const [i, q] of ev.questions.entries()) logs.push(...resolveLogs(q, i === winner ? [1n, 0n] : [0n, 1n], t));
  }
  return logs;
}

/** Random matches for `budget` fills, in transactions of about `perTx` fills. */
function randomTrades(c: EraContext, budget: number, perTx: number): { txs: WorldLog[][]; fills: number } {
  const txs: WorldLog[][] = [];
  let current: WorldLog[] = [];
  let inTx = 0;
  let fills = 0;
  while (fills < budget) {
    const open = c.s.open();
    if (open.length === 0) break;
    const logs = matchLogs(c.s, randomMatch(c, c.s.rng.pick(open)));
    const n = fillCount(logs);
    current.push(...logs);
    inTx += n;
    fills += n;
    if (inTx >= perTx) {
      txs.push(current);
      current = [];
      inTx = 0;
    }
  }
  if (current.length > 0) txs.push(current);
  return { txs, fills };
}

export async function runEra(w: ChainWriter, s: WorldState, o: EraOptions): Promise<void> {
  const slots = Math.max(o.minSlots, Math.ceil(o.fills / o.fillsPerTransaction));
  const c: EraContext = { s, version: o.era === 'v1' ? 1 : 2, wallets: o.wallets, adapterShare: o.adapterShare };
  const times = slotTimes(s, o, slots);
  const opens = openings(s, o, slots);
  const showcase = o.showcase?.(c, slots) ?? null;
  const walletLogs = o.walletLogs?.(slots) ?? null;
  const resolveChance = 1 - Math.pow(1 - o.resolveShare, 1 / slots);
  let fills = 0;
  let ops = 0;
  for (let k = 0; k < slots; k++) {
    const t = times[k] as number;
    const txs: WorldLog[][] = [...openMarkets(s, o, opens.get(k), t), ...(walletLogs?.(k) ?? [])];
    if (showcase) txs.push(...showcase.early(k, t));
    const traded = randomTrades(c, Math.round((o.fills * (k + 1)) / slots) - fills, o.fillsPerTransaction);
    txs.push(...traded.txs);
    fills += traded.fills;
    for (const target = Math.round((o.activity * (k + 1)) / slots); ops < target; ops++) txs.push(...randomOperation(c));
    if (k >= 2) txs.push(randomResolutions(s, resolveChance, t));
    if (showcase) txs.push(...showcase.late(k, t));
    await w.block(t, txs, k === 0 && o.firstBlockExact ? 0 : s.rng.range(0, o.maxEmptyBlocks));
  }
}
