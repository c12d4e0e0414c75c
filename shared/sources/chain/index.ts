import { z } from 'zod';
import type { StagedRecord } from '../../model/staged.ts';
import { sourcePacer, type SourcePace } from '../pacing.ts';
import type { PlanInput, Source, SourcePage, SourcePlan } from '../source.ts';
import { V2_EXCHANGES, V2_GENESIS_BLOCK } from './events/addresses.ts';
import { orderFilledCatalogue, type LogCatalogue } from './catalogue.ts';
import { logBlockNumber, logBlockTimestamp, type RpcLog } from './decode.ts';
import type { RpcFailure } from './errors.ts';
import { cutShards, firstBlockAtOrAfter, sampleDensity, type ChainShardSpec, type SizingConfig } from './plan.ts';
import { ChainRpc, RpcCallError, newStats, type ChainSourceEvent, type ChainSourceStats } from './rpc.ts';

export { ORDER_FILLED_EVENT, ORDER_FILLED_TOPIC } from './abi.ts';
export { CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, V2_EXCHANGES, V2_GENESIS_BLOCK } from './events/addresses.ts';
export { decodeOrderFilledLog, type RpcLog } from './decode.ts';
export { orderFilledCatalogue, type LogCatalogue } from './catalogue.ts';
export { classifyRpcError, parseRetryAfter, type RpcFailure } from './errors.ts';
export type { ChainShardSpec } from './plan.ts';
export { chainSourceOptionsFromSettings, type ChainSettings } from './from-settings.ts';
export { RpcCallError, type ChainSourceEvent, type ChainSourceStats } from './rpc.ts';

const blockString = z.string().regex(/^(0|[1-9][0-9]{0,19})$/, 'must be a decimal block number');

export const chainShardSpecSchema = z
  .object({ fromBlock: blockString, toBlock: blockString, span: z.number().int().positive() })
  .refine((s) => BigInt(s.fromBlock) <= BigInt(s.toBlock), 'fromBlock must not be after toBlock');

export interface ChainCursor {
  /** First block the next page reads, decimal. */
  nextBlock: string;
  /** Blocks the next eth_getLogs request covers (adapted page by page). */
  span: number;
}
export const chainCursorSchema = z.object({ nextBlock: blockString, span: z.number().int().positive() });

export interface ChainSourceOptions {
  /** Polygon JSON-RPC endpoint (POLYGON_RPC_URL). */
  rpcUrl: string;
  /** What to read and how to decode it; default the V2 OrderFilled of `exchanges`. */
  catalogue?: LogCatalogue | undefined;
  /** Exchange contracts whose V2 OrderFilled logs the default catalogue reads; default both V2 exchanges. */
  exchanges?: readonly string[] | undefined;
  /** First block to read on a first run; default 84,902,353 (V2 genesis). */
  genesisBlock?: bigint | number | string | undefined;
  /** Blocks kept below the head (CHAIN_CONFIRMATIONS); default 0. */
  confirmations?: number | undefined;
  /** Read only up to the `finalized` block (CHAIN_USE_FINALIZED); default true. Both rules apply when both are set. */
  useFinalized?: boolean | undefined;
  /** Per HTTP request (SOURCE_TIMEOUT_MS); default 30 000. */
  timeoutMs?: number | undefined;
  /** Retries of a transient failure per call (SOURCE_MAX_RETRIES); default 8. */
  maxRetries?: number | undefined;
  /** First backoff step, doubled per retry, with jitter; default 500 ms. */
  retryBaseDelayMs?: number | undefined;
  /** Cap on one backoff step; default 30 000 ms. */
  retryMaxDelayMs?: number | undefined;
  /** A longer Retry-After fails the call instead of sleeping; default 120 000 ms. */
  maxRetryAfterMs?: number | undefined;
  /** The provider's eth_getLogs block-span cap; default 2 000. */
  maxBlockSpan?: number | undefined;
  /** The provider's eth_getLogs result cap; default 10 000 (Alchemy, Infura). */
  maxLogsPerRequest?: number | undefined;
  /** Logs one request aims at; default a third of maxLogsPerRequest, to absorb bursts. */
  targetLogsPerRequest?: number | undefined;
  /** Rows one shard aims at; default 100 000. */
  targetRowsPerShard?: number | undefined;
  /** Longest shard in blocks; default 100 000. */
  maxShardBlocks?: number | undefined;
  /** Density probes per plan; default 8. */
  densityProbes?: number | undefined;
  /** Blocks per density probe; default 20. */
  probeSpan?: number | undefined;
  /** A fixed logs-per-block estimate instead of probing. */
  logsPerBlock?: number | undefined;
  /** A page stops early past this many logs (a badly underestimated span); default 2 x maxLogsPerRequest. */
  maxRecordsPerPage?: number | undefined;
  /** eth_getBlockByNumber calls per JSON-RPC batch; default 50. */
  blockBatchSize?: number | undefined;
  /** Block headers kept in the timestamp cache; default 20 000. */
  timestampCacheSize?: number | undefined;
  /** Every HTTP request, retries included, waits for its turn at this pace (CHAIN_REQUESTS_PER_SECOND); unset: not paced. */
  pace?: SourcePace | undefined;
  onEvent?: ((e: ChainSourceEvent) => void) | undefined;
  /** For tests and instrumentation. */
  fetchFn?: typeof fetch | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
}

export interface ChainSource extends Source<ChainShardSpec, ChainCursor> {
  /** Live counters (requests, retries, 429s, refusals, cache hits, rows). */
  readonly stats: ChainSourceStats;
  resetStats(): void;
  /** The block this source may read up to now (finalized and/or head minus confirmations). */
  safeHead(signal?: AbortSignal): Promise<bigint>;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

function positive(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x <= 0) throw new Error(`chain source: ${name} must be a positive number, got ${v}`);
  return x;
}

function toBlock(name: string, v: string): bigint {
  const s = v.trim();
  if (/^(0|[1-9][0-9]*)$/.test(s)) return BigInt(s);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return BigInt(s);
  throw new Error(`chain source: ${name} "${v}" is not a block number`);
}

/**
 * Polygon chain source for the V2 exchanges: `OrderFilled` logs of both
 * exchanges through eth_getLogs, sharded by block range.
 *
 * Watermark: the last block fully loaded, decimal (null: start at genesis).
 * A run reads (watermark, safe head]; target = the safe head.
 */
export function createChainSource(options: ChainSourceOptions): ChainSource {
  const catalogue = options.catalogue ?? orderFilledCatalogue(options.exchanges ?? V2_EXCHANGES);
  if (catalogue.addresses.length === 0 || catalogue.topics.length === 0) throw new Error('chain source: nothing to read (no contracts or no events)');
  const genesis = options.genesisBlock === undefined ? V2_GENESIS_BLOCK : BigInt(options.genesisBlock);
  const confirmations = BigInt(Math.max(0, Math.floor(options.confirmations ?? 0)));
  const useFinalized = options.useFinalized ?? true;
  const maxLogsPerRequest = positive('maxLogsPerRequest', options.maxLogsPerRequest, 10_000);
  const maxBlockSpan = Math.floor(positive('maxBlockSpan', options.maxBlockSpan, 2_000));
  const configuredTarget = Math.floor(positive('targetLogsPerRequest', options.targetLogsPerRequest, Math.max(1, Math.floor(maxLogsPerRequest / 3))));
  const maxRecordsPerPage = Math.floor(positive('maxRecordsPerPage', options.maxRecordsPerPage, maxLogsPerRequest * 2));

  const stats = newStats();
  const rpc = new ChainRpc({
    rpcUrl: options.rpcUrl,
    timeoutMs: positive('timeoutMs', options.timeoutMs, 30_000),
    maxRetries: Math.max(0, Math.floor(options.maxRetries ?? 8)),
    retryBaseDelayMs: positive('retryBaseDelayMs', options.retryBaseDelayMs, 500),
    retryMaxDelayMs: positive('retryMaxDelayMs', options.retryMaxDelayMs, 30_000),
    maxRetryAfterMs: positive('maxRetryAfterMs', options.maxRetryAfterMs, 120_000),
    blockBatchSize: Math.floor(positive('blockBatchSize', options.blockBatchSize, 50)),
    timestampCacheSize: Math.floor(positive('timestampCacheSize', options.timestampCacheSize, 20_000)),
    stats,
    pacer: options.pace ? sourcePacer(options.pace) : undefined,
    onEvent: options.onEvent,
    fetchFn: options.fetchFn,
    sleep: options.sleep,
    random: options.random,
  });

  // What this instance learned from refusals; it outlives a page (a warm fetcher keeps it).
  let learnedMaxSpan = maxBlockSpan;
  let learnedMaxLogs = maxLogsPerRequest;
  // Largest span that came back without a refusal, for span caps a provider does not state.
  let maxOkSpan = 0;
  const target = () => Math.max(1, Math.min(configuredTarget, Math.floor(learnedMaxLogs / 3)));
  const spanCap = () => Math.max(1, Math.min(maxBlockSpan, learnedMaxSpan));

  const sizing = (): SizingConfig => ({
    addresses: catalogue.addresses,
    topics: catalogue.topics,
    maxBlockSpan: spanCap(),
    targetLogsPerRequest: target(),
    targetRowsPerShard: Math.floor(positive('targetRowsPerShard', options.targetRowsPerShard, 100_000)),
    maxShardBlocks: Math.floor(positive('maxShardBlocks', options.maxShardBlocks, 100_000)),
    densityProbes: Math.floor(positive('densityProbes', options.densityProbes, 8)),
    probeSpan: Math.floor(positive('probeSpan', options.probeSpan, 20)),
    logsPerBlock: options.logsPerBlock,
  });

  let knownSafeHead: bigint | undefined;

  async function safeHead(signal?: AbortSignal): Promise<bigint> {
    const latest = await rpc.blockNumber(signal);
    let safe = latest - confirmations;
    if (useFinalized) {
      let fin;
      try {
        fin = await rpc.getHeader('finalized', signal);
      } catch (err) {
        if (err instanceof RpcCallError && err.failure.kind === 'fatal') fin = null;
        else throw err;
      }
      if (!fin) {
        throw new Error('chain source: the node does not serve the "finalized" block tag; set CHAIN_USE_FINALIZED=false and CHAIN_CONFIRMATIONS to a reorg-safe depth');
      }
      safe = min(safe, fin.number);
    }
    knownSafeHead = safe;
    return safe;
  }

  /** Never read above the safe head: a page past the last known one re-checks, and fails (to be retried) if still above. */
  async function ensureSafe(block: bigint, signal?: AbortSignal): Promise<void> {
    if (knownSafeHead !== undefined && block <= knownSafeHead) return;
    const safe = await safeHead(signal);
    if (block > safe) {
      throw new Error(`chain source: block ${block} is above the safe head ${safe} (not yet final enough); the shard will be retried`);
    }
  }

  async function resolveBound(kind: 'from' | 'to', value: string, safe: bigint, signal?: AbortSignal): Promise<bigint> {
    const v = value.trim();
    if (/^(0|[1-9][0-9]*)$/.test(v) || /^0x[0-9a-fA-F]+$/.test(v)) return BigInt(v);
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new Error(`chain source: window.${kind} "${value}" is neither a block number nor an ISO date`);
    const secs = Math.ceil(ms / 1000);
    const first = await firstBlockAtOrAfter(rpc, genesis, safe, secs, signal);
    // A date `from` is the first block at or after it; a date `to` is exclusive: the last block before it.
    return kind === 'from' ? first : first - 1n;
  }

  async function plan(input: PlanInput): Promise<SourcePlan<ChainShardSpec>> {
    const { signal } = input;
    const watermark = input.watermark === null ? null : toBlock('watermark', input.watermark);
    const safe = await safeHead(signal);
    const resume = watermark === null ? genesis : max(genesis, watermark + 1n);
    let start = resume;
    if (input.window?.from !== undefined) start = max(genesis, await resolveBound('from', input.window.from, safe, signal));
    let end = safe;
    if (input.window?.to !== undefined) end = min(safe, await resolveBound('to', input.window.to, safe, signal));

    // The watermark may only move to `end` when this run's range joins what
    // is already loaded; a detached window backfills without moving it.
    const joins = start <= resume;
    const reached = joins ? (watermark === null ? end : max(watermark, end)) : watermark;
    const targetValue = reached === null || (watermark === null && reached < genesis) ? input.watermark : reached.toString();
    if (start > end) return { shards: [], target: targetValue };

    const cfg = sizing();
    const regions = await sampleDensity(rpc, cfg, start, end, signal);
    return { shards: cutShards(cfg, regions), target: targetValue };
  }

  function nextSpanAfterRefusal(failure: RpcFailure & { kind: 'range' }, start: bigint, len: bigint): bigint {
    if (failure.maxSpan !== undefined) learnedMaxSpan = Math.min(learnedMaxSpan, failure.maxSpan);
    else if (failure.limit === 'span') {
      // "block range is too wide" without a number: the cap is below len; keep
      // the largest span known to work, or half of len.
      const known = maxOkSpan > 0 && BigInt(maxOkSpan) < len ? maxOkSpan : Number(len / 2n);
      learnedMaxSpan = Math.max(1, Math.min(learnedMaxSpan, known));
    }
    if (failure.maxResults !== undefined) learnedMaxLogs = Math.min(learnedMaxLogs, failure.maxResults);
    let next = len / 2n;
    const sug = failure.suggested;
    if (sug && sug.to >= sug.from) {
      const sugLen = sug.from === start ? sug.to - start + 1n : sug.to - sug.from + 1n;
      if (sugLen > 0n && sugLen < len) next = sugLen;
    } else if (failure.maxSpan !== undefined && BigInt(failure.maxSpan) < len) {
      next = BigInt(failure.maxSpan);
    }
    return max(1n, min(next, BigInt(spanCap())));
  }

  /** Proportional sizing: aim the next request at `target()` logs, at most doubling or quartering per step. */
  function adaptSpan(len: number, logs: number): number {
    const ideal = logs === 0 ? len * 2 : Math.floor((len * target()) / logs);
    const next = Math.min(len * 2, Math.max(Math.floor(len / 4), ideal));
    return Math.max(1, Math.min(spanCap(), next));
  }

  async function toRecords(logs: RpcLog[], signal?: AbortSignal): Promise<StagedRecord[]> {
    const need: bigint[] = [];
    for (const log of logs) {
      const n = logBlockNumber(log);
      if (logBlockTimestamp(log) === null && n !== null) need.push(n);
    }
    const headers = need.length > 0 ? await rpc.getHeaders(need, signal) : new Map();
    let records: StagedRecord[] = [];
    for (const log of logs) {
      const n = logBlockNumber(log);
      let ts = logBlockTimestamp(log);
      if (ts !== null) stats.timestampsFromLogs++;
      else if (n !== null) {
        const h = headers.get(n);
        if (h && typeof log.blockHash === 'string' && log.blockHash.toLowerCase() !== h.hash) {
          throw new Error(`chain source: log in block ${n} has block hash ${log.blockHash} but the node now says ${h.hash} (reorg or inconsistent provider); the page will be retried`);
        }
        ts = h ? h.timestamp : null;
      }
      for (const r of catalogue.decode(log, ts)) records.push(r);
    }
    const adapterTxs = catalogue.adapterTransactions?.(records) ?? [];
    if (adapterTxs.length > 0 && catalogue.attributeAdapters) {
      records = catalogue.attributeAdapters(records, await rpc.getTransactionLogs(adapterTxs, signal));
    }
    for (const r of records) {
      if (r.table === 'fills') stats.fills++;
      else if (r.table === 'rejects') stats.rejects++;
      else stats.otherRows++;
    }
    return records;
  }

  async function fetchPage(spec: ChainShardSpec, cursor: ChainCursor | null, signal?: AbortSignal): Promise<SourcePage<ChainCursor>> {
    const shardFrom = BigInt(spec.fromBlock);
    const shardTo = BigInt(spec.toBlock);
    const pos = cursor ? BigInt(cursor.nextBlock) : shardFrom;
    if (pos > shardTo) return { records: [], next: null };
    const span = Math.max(1, Math.min(spanCap(), cursor?.span ?? spec.span));
    const pageEnd = min(shardTo, pos + BigInt(span) - 1n);
    await ensureSafe(pageEnd, signal);

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
        subSpan = nextSpanAfterRefusal(res.failure, subStart, len);
        options.onEvent?.({ type: 'range-refused', fromBlock: subStart, toBlock: subEnd, failure: res.failure, nextSpan: Number(subSpan) });
        continue;
      }
      for (const l of res.logs) logs.push(l);
      if (Number(len) > maxOkSpan) maxOkSpan = Number(len);
      covered = subEnd;
      subStart = subEnd + 1n;
      const next = adaptSpan(Number(len), res.logs.length);
      options.onEvent?.({ type: 'span', span: next, logs: res.logs.length, blocks: Number(len) });
      subSpan = BigInt(next);
    }

    const records = await toRecords(logs, signal);
    // What this page proves was read in full, so `check` can tell a skipped range from an empty one.
    if (covered >= pos) records.push({ table: 'chain_coverage', row: { from_block: Number(pos), to_block: Number(covered) } });
    const next = covered >= shardTo ? null : { nextBlock: (covered + 1n).toString(), span: Number(subSpan) };
    return { records, next };
  }

  return {
    name: 'chain',
    specSchema: chainShardSpecSchema as unknown as z.ZodType<ChainShardSpec>,
    cursorSchema: chainCursorSchema,
    stats,
    resetStats() {
      Object.assign(stats, newStats());
    },
    safeHead,
    plan,
    fetchPage,
  };
}
