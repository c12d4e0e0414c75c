import type { z } from 'zod';
import { sourcePacer } from '#shared/sources/pacing.ts';
import type { Source } from '#shared/sources/source.ts';
import { chainCursorSchema, chainShardSpecSchema, type ChainCursor } from './cursor.ts';
import { chainRpcOptions, resolveChainOptions, shardSizing, type ChainSourceOptions } from './options.ts';
import { divideChainRest } from './divide.ts';
import { chainPager } from './paging.ts';
import { BlockClock } from './block-clock.ts';
import type { ChainShardSpec } from './plan.ts';
import { ChainRpc } from './rpc.ts';
import { newStats, type ChainSourceStats } from './stats.ts';
import { chainRunPlanner } from './run-plan.ts';
import { safeHeadOf } from './safe-head.ts';
import { spanLearner } from './span-learning.ts';

export { ORDER_FILLED_EVENT, ORDER_FILLED_TOPIC } from './abi.ts';
export { CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, V2_EXCHANGES, V2_GENESIS_BLOCK } from './events/addresses.ts';
export { decodeOrderFilledLog, type RpcLog } from './decode.ts';
export { orderFilledCatalogue, type LogCatalogue } from './catalogue.ts';
export { classifyRpcError, parseRetryAfter, type RpcFailure } from './errors.ts';
export type { ChainShardSpec } from './plan.ts';
export { chainSourceOptionsFromSettings, type ChainSettings } from './from-settings.ts';
export { RpcCallError, type ChainSourceEvent } from './rpc.ts';
export type { ChainSourceStats } from './stats.ts';
export { chainCursorSchema, chainShardSpecSchema, type ChainCursor } from './cursor.ts';
export type { ChainSourceOptions } from './options.ts';

export interface ChainSource extends Source<ChainShardSpec, ChainCursor> {
  /** Live counters (requests, retries, 429s, refusals, cache hits, rows). */
  readonly stats: ChainSourceStats;
  resetStats(): void;
  /** The block this source may read up to now (finalized and/or head minus confirmations). */
  safeHead(signal?: AbortSignal): Promise<bigint>;
}

/**
 * Polygon chain source for the V2 exchanges: `OrderFilled` logs of both
 * exchanges through eth_getLogs, sharded by block range.
 *
 * Watermark: the last block fully loaded, decimal (null: start at genesis).
 * A run reads (watermark, safe head]; target = the safe head.
 */
export function createChainSource(options: ChainSourceOptions): ChainSource {
  const resolved = resolveChainOptions(options);
  const { catalogue } = resolved;
  const stats = newStats();
  const rpc = new ChainRpc(chainRpcOptions(options, stats, options.pace ? sourcePacer(options.pace) : undefined));
  const safeHead = safeHeadOf(rpc, resolved);
  const spans = spanLearner(resolved);
  const clock = new BlockClock(rpc, stats, options.inferTimestamps ?? true);

  return {
    name: 'chain',
    specSchema: chainShardSpecSchema as unknown as z.ZodType<ChainShardSpec>,
    cursorSchema: chainCursorSchema,
    stats,
    resetStats() {
      Object.assign(stats, newStats());
    },
    safeHead: safeHead.current,
    plan: chainRunPlanner({
      rpc,
      genesis: resolved.genesis,
      safeHead,
      sizing: () => shardSizing(options, catalogue, { spanCap: spans.spanCap(), target: spans.target(), closestTarget: spans.closestTarget() }),
    }),
    ...chainPager({ rpc, clock, catalogue, stats, safeHead, spans, maxRecordsPerPage: resolved.maxRecordsPerPage, onEvent: options.onEvent }),
    divideRest: divideChainRest,
  };
}
