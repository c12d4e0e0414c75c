import type { Hex } from 'viem';
import { leastSecondsBetween, rulesOfChain } from '#shared/sources/chain/block-times.ts';
import type { ProbeRpc } from './rpc.ts';
import { failureText } from './rpc.ts';
import { check, thousands, type Check } from './types.ts';

/** How far below the safe head the check looks: a stretch of each length ending at the safe head. */
export const BLOCK_TIME_STRETCHES = [16, 256, 4_096] as const;

/**
 * What inferring timestamps (CHAIN_INFER_TIMESTAMPS) saves on this chain,
 * for logs without blockTimestamp: whether the last 16, 256 and 4,096 blocks
 * under the safe head sit at the least time the chain's rule allows (then the
 * sync proves their timestamps from two headers), and how long its blocks
 * take on average against that least. Four header reads.
 */
export async function blockTimesCheck(rpc: ProbeRpc, chainId: number, safe: bigint, infer: boolean): Promise<Check> {
  const name = 'chain: block times';
  const rules = rulesOfChain(chainId);
  if (!infer) return check(name, 'ok', 'CHAIN_INFER_TIMESTAMPS=false: the sync reads the header of every block whose logs it reads', { infer });
  if (!rules) {
    return check(name, 'ok', `no block-time rule known for chain ${chainId}: the sync reads the header of every block whose logs it reads`, { chainId });
  }
  const blocks = [safe, ...BLOCK_TIME_STRETCHES.map((n) => safe - BigInt(n))].filter((b) => b >= 0n);
  const times = new Map<bigint, number>();
  for (const b of blocks) {
    const res = await rpc.call<{ timestamp: Hex } | null>('eth_getBlockByNumber', [`0x${b.toString(16)}`, false]);
    if (!res.ok || !res.value) return check(name, 'warn', `block ${thousands(b)} could not be read: ${res.ok ? 'unknown block' : failureText(res.failure)}`);
    times.set(b, Number(BigInt(res.value.timestamp)));
  }
  const head = times.get(safe) as number;
  const stretches = BLOCK_TIME_STRETCHES.filter((n) => times.has(safe - BigInt(n))).map((n) => {
    const from = safe - BigInt(n);
    const least = leastSecondsBetween(rules, from, safe);
    return { blocks: n, seconds: head - (times.get(from) as number), least };
  });
  const longest = stretches.at(-1);
  if (!longest) return check(name, 'ok', 'the chain is too short to look at', { chainId });
  const data = { chainId, safeHead: safe.toString(), stretches };
  const proven = stretches.filter((s) => s.seconds === s.least).map((s) => thousands(s.blocks));
  const pace = `over the last ${thousands(longest.blocks)} blocks ${(longest.seconds / longest.blocks).toFixed(2)} s a block, against the rule's least ${(longest.least / longest.blocks).toFixed(2)} s`;
  if (stretches.some((s) => s.seconds < s.least)) {
    return check(name, 'fail', `${pace}: blocks come faster than the rule this sync assumes for chain ${chainId}; set CHAIN_INFER_TIMESTAMPS=false`, data);
  }
  const what =
    proven.length === stretches.length
      ? 'every stretch looked at sits at the least time: the sync proves most timestamps from a few headers a shard'
      : proven.length > 0
        ? `the last ${proven.join(' and ')} blocks sit at the least time, the longer stretches not: the sync reads headers where a block came late`
        : 'no stretch looked at sits at the least time: the sync reads the headers of the blocks whose logs it reads, as without the rule';
  return check(name, 'ok', `${pace}; ${what}`, data);
}
