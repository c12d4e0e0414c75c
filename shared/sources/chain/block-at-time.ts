import { sourcePacer } from '#shared/sources/pacing.ts';
import { chainSourceOptionsFromSettings, type ChainSettings } from './from-settings.ts';
import { chainRpcOptions, resolveChainOptions } from './options.ts';
import { ChainRpc, type BlockHeader } from './rpc.ts';
import { newStats } from './stats.ts';
import { safeHeadOf } from './safe-head.ts';

/** What the search reads: a numbered block's header (eth_getBlockByNumber), or null when the node does not have it. */
export type HeaderReader = (block: bigint, signal?: AbortSignal) => Promise<Pick<BlockHeader, 'timestamp'> | null>;

/**
 * The first block in [lo, hi] whose timestamp is at or after `unixSeconds`
 * (hi + 1 when there is none; lo when even lo is that late). Block times
 * never go backwards, so the answer is the same whatever the search; this
 * one interpolates between the two blocks it knows (Polygon's blocks come at
 * a nearly steady pace, so a guess lands within a few blocks of the answer)
 * and bisects after a guess that did not halve the range, which keeps the
 * worst case near 2·log2(hi - lo) reads and the usual case at a handful.
 */
export async function firstBlockAtTime(read: HeaderReader, lo: bigint, hi: bigint, unixSeconds: number, signal?: AbortSignal): Promise<bigint> {
  if (lo > hi) return lo;
  const ts = async (n: bigint) => {
    const h = await read(n, signal);
    if (!h) throw new Error(`chain source: block ${n} not found while looking for the first block at ${new Date(unixSeconds * 1000).toISOString()}`);
    return h.timestamp;
  };
  let b = hi;
  let tsB = await ts(hi);
  if (tsB < unixSeconds) return hi + 1n;
  let a = lo;
  let tsA = await ts(lo);
  if (tsA >= unixSeconds) return lo;
  // Invariant: ts(a) < unixSeconds <= ts(b); the answer lies in (a, b].
  let bisect = false;
  while (b - a > 1n) {
    const width = b - a;
    let m: bigint;
    if (bisect) {
      m = a + width / 2n;
    } else {
      // tsB > tsA here (tsA < unixSeconds <= tsB), so the division is safe.
      const guess = a + (BigInt(unixSeconds - tsA) * width) / BigInt(tsB - tsA);
      m = guess <= a ? a + 1n : guess >= b ? b - 1n : guess;
    }
    const t = await ts(m);
    if (t >= unixSeconds) {
      b = m;
      tsB = t;
    } else {
      a = m;
      tsA = t;
    }
    bisect = !bisect && (b - a) * 2n > width;
  }
  return b;
}

/** Where the chain source stands in time: its first block, its safe head, and the block that starts a given instant. */
export interface ChainClock {
  /** The first block the source reads (CHAIN_GENESIS_BLOCK or the exchanges' first block). */
  genesis: bigint;
  /** The block the source may read up to now. */
  safeHead(signal?: AbortSignal): Promise<bigint>;
  /** The first block at or after the instant, searched between genesis and the safe head (safe head + 1 when the instant is later). */
  firstBlockAt(unixSeconds: number, signal?: AbortSignal): Promise<bigint>;
  /** JSON-RPC requests sent so far (retries included). */
  requests(): number;
}

/**
 * A clock over the chain source's own JSON-RPC client, built from the same
 * settings (endpoint, timeouts, retries, pace, genesis, safe-head rule), so
 * a date resolves to the block the source's planner would pick for it.
 */
export function chainClockFromSettings(settings: ChainSettings): ChainClock {
  const options = chainSourceOptionsFromSettings(settings);
  const resolved = resolveChainOptions(options);
  const stats = newStats();
  const rpc = new ChainRpc(chainRpcOptions(options, stats, options.pace ? sourcePacer(options.pace) : undefined));
  const safe = safeHeadOf(rpc, resolved);
  return {
    genesis: resolved.genesis,
    safeHead: (signal) => safe.current(signal),
    async firstBlockAt(unixSeconds, signal) {
      const head = await safe.current(signal);
      return firstBlockAtTime((n, s) => rpc.getHeader(n, s), resolved.genesis, head, unixSeconds, signal);
    },
    requests: () => stats.httpRequests,
  };
}
