import type { SourceBatch, SourcePage, StopEarly } from '#shared/sources/source.ts';
import type { BlockClock } from './block-clock.ts';
import type { LogCatalogue } from './catalogue.ts';
import type { ChainCursor } from './cursor.ts';
import type { RpcLog } from './decode.ts';
import { logsToRecords } from './log-records.ts';
import type { ChainShardSpec } from './plan.ts';
import { RpcCallError, type ChainRpc, type ChainSourceEvent } from './rpc.ts';
import type { ChainSourceStats } from './stats.ts';
import type { SafeHead } from './safe-head.ts';
import type { SpanLearner } from './span-learning.ts';

export interface PagingParts {
  rpc: ChainRpc;
  clock: BlockClock;
  catalogue: LogCatalogue;
  stats: ChainSourceStats;
  safeHead: SafeHead;
  spans: SpanLearner;
  /** A page stops early past this many logs. */
  maxRecordsPerPage: number;
  onEvent?: ((e: ChainSourceEvent) => void) | undefined;
}

export type FetchChainPage = (spec: ChainShardSpec, cursor: ChainCursor | null, signal?: AbortSignal) => Promise<SourcePage<ChainCursor>>;
export type FetchChainBatch = (
  spec: ChainShardSpec,
  cursor: ChainCursor | null,
  maxPages: number,
  signal?: AbortSignal,
  stopEarly?: StopEarly,
) => Promise<SourceBatch<ChainCursor>>;

const min = (a: bigint, b: bigint) => (a < b ? a : b);

/** One page's logs, not yet decoded, and the blocks it proves were read in full. */
interface LogPage {
  logs: RpcLog[];
  /** [first, last] block read in full; null for a page past the shard's end. */
  covered: [bigint, bigint] | null;
  next: ChainCursor | null;
}

/**
 * Reads a shard page by page: one page = [cursor.nextBlock, +span), never
 * above the safe head, shorter when the provider refuses it (the page then
 * ends with the first request that fits). Where a page ends depends on what
 * the instance has learned of the provider (its caps, its aim), so a re-fetch
 * after a crash may end elsewhere; see the Source contract. A batch of pages decodes its logs together, so the
 * block headers it needs for timestamps (logs without `blockTimestamp`) are
 * read once per batch, in as few JSON-RPC batches as `blockBatchSize` allows,
 * instead of once per page: on a plan that counts calls, page-by-page header
 * reads took half of them; and not at all where the chain's consensus rule
 * proves them from headers read before (`BlockClock`).
 */
export function chainPager(parts: PagingParts): { fetchPage: FetchChainPage; fetchBatch: FetchChainBatch } {
  const { rpc, clock, catalogue, stats, safeHead, spans, maxRecordsPerPage, onEvent } = parts;

  /** A shard's first request: the plan's density at today's aim, else the plan's span. */
  function firstSpan(spec: ChainShardSpec): number {
    return spec.logsPerBlock ? Math.floor(spans.target() / spec.logsPerBlock) : spec.span;
  }

  async function readPage(spec: ChainShardSpec, cursor: ChainCursor | null, signal?: AbortSignal): Promise<LogPage> {
    const shardFrom = BigInt(spec.fromBlock);
    const shardTo = BigInt(spec.toBlock);
    const pos = cursor ? BigInt(cursor.nextBlock) : shardFrom;
    if (pos > shardTo) return { logs: [], covered: null, next: null };
    const proposed = Math.max(1, Math.min(spans.spanCap(), cursor?.span ?? firstSpan(spec)));
    const span = spans.spanForRest(proposed, Number(shardTo - pos + 1n));
    const pageEnd = min(shardTo, pos + BigInt(span) - 1n);
    await safeHead.ensureReadable(pageEnd, signal);

    // The page is [pos, pageEnd], unless the provider refuses it: then it ends
    // where the first request that fits ends (the provider's suggested range,
    // or a halving), and the next page goes on from there with the learned
    // span. Fetching the rest of [pos, pageEnd] instead cost a call with a
    // small remainder of results after every refusal.
    const logs: RpcLog[] = [];
    let subStart = pos;
    let subSpan = BigInt(span);
    let covered = pos - 1n;
    let refused = false;
    while (subStart <= pageEnd && logs.length < maxRecordsPerPage) {
      const subEnd = min(pageEnd, subStart + subSpan - 1n);
      const len = subEnd - subStart + 1n;
      const res = await rpc.getLogs(catalogue.addresses, catalogue.topics, subStart, subEnd, signal);
      if (!res.ok) {
        if (len === 1n) {
          throw new RpcCallError(`chain source: eth_getLogs refused block ${subStart} alone: ${res.failure.reason}`, res.failure);
        }
        subSpan = spans.afterRefusal(res.failure, subStart, len);
        refused = true;
        onEvent?.({ type: 'range-refused', fromBlock: subStart, toBlock: subEnd, failure: res.failure, nextSpan: Number(subSpan) });
        continue;
      }
      for (const l of res.logs) logs.push(l);
      covered = subEnd;
      subStart = subEnd + 1n;
      const next = spans.afterSuccess(Number(len), res.logs.length);
      onEvent?.({ type: 'span', span: next, logs: res.logs.length, blocks: Number(len) });
      subSpan = BigInt(next);
      if (refused) break;
    }
    const next = covered >= shardTo ? null : { nextBlock: (covered + 1n).toString(), span: Number(subSpan) };
    return { logs, covered: covered >= pos ? [pos, covered] : null, next };
  }

  /** Pages until maxPages, the shard's end, maxRecordsPerPage logs held (the batch's memory bound), or `stopEarly`. */
  async function fetchBatch(
    spec: ChainShardSpec,
    cursor: ChainCursor | null,
    maxPages: number,
    signal?: AbortSignal,
    stopEarly?: StopEarly,
  ): Promise<SourceBatch<ChainCursor>> {
    const logs: RpcLog[] = [];
    const coverage: [bigint, bigint][] = [];
    let next = cursor;
    let pages = 0;
    do {
      const page = await readPage(spec, next, signal);
      for (const l of page.logs) logs.push(l);
      if (page.covered) coverage.push(page.covered);
      next = page.next;
      pages++;
    } while (next !== null && pages < maxPages && logs.length < maxRecordsPerPage && !(await stopEarly?.()));

    const records = await logsToRecords({ rpc, clock, catalogue, stats }, logs, BigInt(spec.toBlock), signal);
    // What each page proves was read in full, so `check` can tell a skipped range from an empty one.
    for (const [from, to] of coverage) records.push({ table: 'chain_coverage', row: { from_block: Number(from), to_block: Number(to) } });
    return { records, next, pages };
  }

  return {
    fetchBatch,
    fetchPage: async (spec, cursor, signal) => {
      const { records, next } = await fetchBatch(spec, cursor, 1, signal);
      return { records, next };
    },
  };
}
