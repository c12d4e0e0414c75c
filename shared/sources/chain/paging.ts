import type { SourcePage } from '#shared/sources/source.ts';
import type { LogCatalogue } from './catalogue.ts';
import type { ChainCursor } from './cursor.ts';
import type { RpcLog } from './decode.ts';
import { logsToRecords } from './log-records.ts';
import type { ChainShardSpec } from './plan.ts';
import { RpcCallError, type ChainRpc, type ChainSourceEvent, type ChainSourceStats } from './rpc.ts';
import type { SafeHead } from './safe-head.ts';
import type { SpanLearner } from './span-learning.ts';

export interface PagingParts {
  rpc: ChainRpc;
  catalogue: LogCatalogue;
  stats: ChainSourceStats;
  safeHead: SafeHead;
  spans: SpanLearner;
  /** A page stops early past this many logs. */
  maxRecordsPerPage: number;
  onEvent?: ((e: ChainSourceEvent) => void) | undefined;
}

export type FetchChainPage = (spec: ChainShardSpec, cursor: ChainCursor | null, signal?: AbortSignal) => Promise<SourcePage<ChainCursor>>;

const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * Reads a shard page by page: one page = [cursor.nextBlock, +span), never
 * above the safe head, split into smaller eth_getLogs requests only when the
 * provider refuses one.
 */
export function chainPager(parts: PagingParts): FetchChainPage {
  const { rpc, catalogue, stats, safeHead, spans, maxRecordsPerPage, onEvent } = parts;

  return async function fetchPage(spec, cursor, signal) {
    const shardFrom = BigInt(spec.fromBlock);
    const shardTo = BigInt(spec.toBlock);
    const pos = cursor ? BigInt(cursor.nextBlock) : shardFrom;
    if (pos > shardTo) return { records: [], next: null };
    const span = Math.max(1, Math.min(spans.spanCap(), cursor?.span ?? spec.span));
    const pageEnd = min(shardTo, pos + BigInt(span) - 1n);
    await safeHead.ensureReadable(pageEnd, signal);

    // The page is [pos, pageEnd] however the provider makes us cut it, so the
    // same cursor yields the same records; only a refused request is split.
    const logs: RpcLog[] = [];
    let subStart = pos;
    let subSpan = BigInt(span);
    let covered = pos - 1n;
    while (subStart <= pageEnd && logs.length < maxRecordsPerPage) {
      const subEnd = min(pageEnd, subStart + subSpan - 1n);
      const len = subEnd - subStart + 1n;
      const res = await rpc.getLogs(catalogue.addresses, catalogue.topics, subStart, subEnd, signal);
      if (!res.ok) {
        if (len === 1n) {
          throw new RpcCallError(`chain source: eth_getLogs refused block ${subStart} alone: ${res.failure.reason}`, res.failure);
        }
        subSpan = spans.afterRefusal(res.failure, subStart, len);
        onEvent?.({ type: 'range-refused', fromBlock: subStart, toBlock: subEnd, failure: res.failure, nextSpan: Number(subSpan) });
        continue;
      }
      for (const l of res.logs) logs.push(l);
      covered = subEnd;
      subStart = subEnd + 1n;
      const next = spans.afterSuccess(Number(len), res.logs.length);
      onEvent?.({ type: 'span', span: next, logs: res.logs.length, blocks: Number(len) });
      subSpan = BigInt(next);
    }

    const records = await logsToRecords(rpc, catalogue, stats, logs, signal);
    // What this page proves was read in full, so `check` can tell a skipped range from an empty one.
    if (covered >= pos) records.push({ table: 'chain_coverage', row: { from_block: Number(pos), to_block: Number(covered) } });
    const next = covered >= shardTo ? null : { nextBlock: (covered + 1n).toString(), span: Number(subSpan) };
    return { records, next };
  };
}
