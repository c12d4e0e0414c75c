import type { SourcePace } from '#shared/sources/pacing.ts';
import type { Sleep } from '#shared/retry.ts';
import { V2_EXCHANGES, V2_GENESIS_BLOCK } from './events/addresses.ts';
import { orderFilledCatalogue, type LogCatalogue } from './catalogue.ts';
import type { SizingConfig } from './plan.ts';
import type { ChainRpcOptions, ChainSourceEvent } from './rpc.ts';
import type { ChainSourceStats } from './stats.ts';

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
  /** Logs one request aims at; default: a share of the result cap that the source adapts to how evenly logs fall (`spanLearner`). */
  targetLogsPerRequest?: number | undefined;
  /** Rows one shard aims at at most; default what REQUESTS_PER_SHARD requests at the closest aim bring (380 000 at a 10 000 result cap). */
  targetRowsPerShard?: number | undefined;
  /** Longest shard in blocks; default 100 000. */
  maxShardBlocks?: number | undefined;
  /** Density probes per plan; default 8. */
  densityProbes?: number | undefined;
  /** Blocks per density probe; default 20. */
  probeSpan?: number | undefined;
  /** A fixed logs-per-block estimate instead of probing. */
  logsPerBlock?: number | undefined;
  /**
   * A page, and a batch of pages, stops early past this many logs (a badly
   * underestimated span; the batch's memory bound before it decodes);
   * default twice the result cap, at least MIN_BATCH_LOGS.
   */
  maxRecordsPerPage?: number | undefined;
  /** Calls per JSON-RPC batch (block headers, transaction receipts): the provider's batch limit; default 50. */
  blockBatchSize?: number | undefined;
  /** Block headers kept in the timestamp cache; default 20 000. */
  timestampCacheSize?: number | undefined;
  /**
   * Take the timestamps of blocks between two headers read from the chain's
   * consensus rule where it proves them (CHAIN_INFER_TIMESTAMPS; `BlockClock`);
   * default true. Off: every block with logs has its header read.
   */
  inferTimestamps?: boolean | undefined;
  /** Every HTTP request, retries included, waits for its turn at this pace (CHAIN_REQUESTS_PER_SECOND); unset: not paced. */
  pace?: SourcePace | undefined;
  onEvent?: ((e: ChainSourceEvent) => void) | undefined;
  /** For tests and instrumentation. */
  fetchFn?: typeof fetch | undefined;
  sleep?: Sleep | undefined;
  random?: (() => number) | undefined;
}

/** The options a source instance reads on every plan and page, with their defaults applied and checked. */
export interface ResolvedChainOptions {
  catalogue: LogCatalogue;
  genesis: bigint;
  confirmations: bigint;
  useFinalized: boolean;
  maxLogsPerRequest: number;
  maxBlockSpan: number;
  /** Set only when the operator fixed it; otherwise the source adapts it. */
  targetLogsPerRequest: number | undefined;
  maxRecordsPerPage: number;
}

/**
 * The share of the provider's result cap a request aims at until the source
 * has seen how evenly logs fall, and whenever they fall unevenly. A refused
 * request costs a call (and the provider's suggested range makes the retry
 * fit), so aiming near the cap wastes few calls while the density varies by
 * less than the margin; `spanLearner` aims closer (up to
 * MAX_SHARE_OF_RESULT_CAP) when the counts it sees vary little. The bench
 * (`npm run bench -- --only chain`) measures the share of the cap a backfill
 * reaches.
 */
export const TARGET_SHARE_OF_RESULT_CAP = 0.8;
/** The closest to the result cap a request aims, however evenly logs fall. */
export const MAX_SHARE_OF_RESULT_CAP = 0.95;

/**
 * The fewest logs a batch may hold before it decodes them, whatever the
 * result cap: a batch reads its headers in one go, so a bound of twice a
 * small cap (a plan of 1,000 results) would cut a 20-page batch into ten and
 * read headers ten times as often. 20,000 logs is the default cap's bound
 * (2 x 10,000), which the fetcher's memory already allows.
 */
export const MIN_BATCH_LOGS = 20_000;

export function positive(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x <= 0) throw new Error(`chain source: ${name} must be a positive number, got ${v}`);
  return x;
}

/** A decimal or hex block number, or an error naming the setting it came from. */
export function toBlock(name: string, v: string): bigint {
  const s = v.trim();
  if (/^(0|[1-9][0-9]*)$/.test(s)) return BigInt(s);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return BigInt(s);
  throw new Error(`chain source: ${name} "${v}" is not a block number`);
}

export function resolveChainOptions(options: ChainSourceOptions): ResolvedChainOptions {
  const catalogue = options.catalogue ?? orderFilledCatalogue(options.exchanges ?? V2_EXCHANGES);
  if (catalogue.addresses.length === 0 || catalogue.topics.length === 0) throw new Error('chain source: nothing to read (no contracts or no events)');
  const genesis = options.genesisBlock === undefined ? V2_GENESIS_BLOCK : BigInt(options.genesisBlock);
  const confirmations = BigInt(Math.max(0, Math.floor(options.confirmations ?? 0)));
  const useFinalized = options.useFinalized ?? true;
  const maxLogsPerRequest = positive('maxLogsPerRequest', options.maxLogsPerRequest, 10_000);
  const maxBlockSpan = Math.floor(positive('maxBlockSpan', options.maxBlockSpan, 2_000));
  const targetLogsPerRequest =
    options.targetLogsPerRequest === undefined ? undefined : Math.floor(positive('targetLogsPerRequest', options.targetLogsPerRequest, 1));
  const maxRecordsPerPage = Math.floor(positive('maxRecordsPerPage', options.maxRecordsPerPage, Math.max(maxLogsPerRequest * 2, MIN_BATCH_LOGS)));
  return { catalogue, genesis, confirmations, useFinalized, maxLogsPerRequest, maxBlockSpan, targetLogsPerRequest, maxRecordsPerPage };
}

/** The JSON-RPC client's settings; `stats` and `pacer` are the instance's own. */
export function chainRpcOptions(options: ChainSourceOptions, stats: ChainSourceStats, pacer: ChainRpcOptions['pacer']): ChainRpcOptions {
  return {
    rpcUrl: options.rpcUrl,
    timeoutMs: positive('timeoutMs', options.timeoutMs, 30_000),
    // Unset retry numbers fall back to the one retry policy's defaults (shared/retry.ts).
    maxRetries: options.maxRetries,
    retryBaseDelayMs: options.retryBaseDelayMs,
    retryMaxDelayMs: options.retryMaxDelayMs,
    maxRetryAfterMs: options.maxRetryAfterMs,
    blockBatchSize: Math.floor(positive('blockBatchSize', options.blockBatchSize, 50)),
    timestampCacheSize: Math.floor(positive('timestampCacheSize', options.timestampCacheSize, 20_000)),
    stats,
    pacer,
    onEvent: options.onEvent,
    fetchFn: options.fetchFn,
    sleep: options.sleep,
    random: options.random,
  };
}

/**
 * Requests a shard holds at most by default, counted at the closest aim.
 * A shard ends on requests sized to its rest, which bring fewer logs than
 * the aim (about half a request's worth a shard), so a shard's rows are
 * counted in requests, not in a fixed number that the result cap would turn
 * into few requests: 100 000 rows at a 10 000 cap made shards of about 11
 * requests, which the chain bench's paid profile pages at 83-84% of its
 * limit; shards of about 39 requests reached 88% (`npm run bench -- --only
 * chain`, the at-volume run).
 */
export const REQUESTS_PER_SHARD = 40;

/**
 * How a plan sizes shards, read when a plan is made (so a bad shard setting
 * fails the plan, not the source's creation); the span and log targets are
 * what the instance has learned by then.
 */
export function shardSizing(
  options: ChainSourceOptions,
  catalogue: LogCatalogue,
  learned: { spanCap: number; target: number; closestTarget: number },
): SizingConfig {
  return {
    addresses: catalogue.addresses,
    topics: catalogue.topics,
    maxBlockSpan: learned.spanCap,
    targetLogsPerRequest: learned.target,
    closestLogsPerRequest: learned.closestTarget,
    targetRowsPerShard: Math.floor(positive('targetRowsPerShard', options.targetRowsPerShard, REQUESTS_PER_SHARD * learned.closestTarget)),
    maxShardBlocks: Math.floor(positive('maxShardBlocks', options.maxShardBlocks, 100_000)),
    densityProbes: Math.floor(positive('densityProbes', options.densityProbes, 8)),
    probeSpan: Math.floor(positive('probeSpan', options.probeSpan, 20)),
    logsPerBlock: options.logsPerBlock,
    receiptsIn: receiptsCounter(catalogue),
  };
}

/** Counts the transactions whose receipts the catalogue's adapter attribution reads, as the fetcher will. */
function receiptsCounter(catalogue: LogCatalogue): SizingConfig['receiptsIn'] {
  const needing = catalogue.adapterTransactions?.bind(catalogue);
  if (!needing) return undefined;
  // Decoded at time 0: a row needs a block time to decode, and the time plays no part in which transactions need receipts.
  return (logs) => needing(logs.flatMap((log) => catalogue.decode(log, 0))).length;
}
