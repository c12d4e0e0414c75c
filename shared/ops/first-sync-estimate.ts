import { SOURCE_RATE_SETTINGS, type SourceSettings } from '#shared/config.ts';
import { sourceAllowance, type SourceRegistry } from '#shared/sources/registry.ts';
import { SOURCE_NAMES, type PlanWindow, type SourceName, type SourcePlan } from '#shared/sources/source.ts';

/** What one source's part of a sync will cost, from its plan. */
export interface SourceEstimate {
  source: SourceName;
  shards: number;
  /** The plan's estimatedRows: fills (and, for the chain, every event it reads); 0 where the source does not estimate (the market lists). */
  rows: number;
  /** Blocks the chain's shards cover; absent for other sources. */
  blocks?: number;
  /** Requests the fetchers will send when the plan's estimates hold (pages, eth_getLogs calls, header and receipt batches). */
  requests: number;
  /** Of `requests`, the chain's header batches: at most, since logs that carry blockTimestamp and block times the chain's rule proves need none; absent for other sources. */
  headerRequests?: number;
  /** Of `requests`, the chain's receipt batches for activity routed through a collateral adapter; absent for other sources. */
  receiptRequests?: number;
  /** The source's configured allowance; absent when it is not paced. */
  requestsPerSecond?: number;
  /** requests / requestsPerSecond; absent when not paced (the provider's answers set the pace then). */
  seconds?: number;
}

export interface FirstSyncEstimate {
  sources: SourceEstimate[];
  rows: number;
  blocks: number;
  /** The slowest paced source (the sources are fetched side by side); absent when no source with rows to fetch is paced. */
  seconds?: number;
  /** Sources with rows to fetch but no configured pace: their time is not estimated. */
  unpaced: SourceName[];
}

export interface EstimateLimits {
  /** Each source's total allowance in requests per second (absent: not paced). */
  requestsPerSecond: Partial<Record<SourceName, number>>;
  /** Rows per subgraph page (SUBGRAPH_PAGE_SIZE). */
  subgraphPageSize: number;
  /** eth_getBlockByNumber (and eth_getTransactionReceipt) calls per JSON-RPC batch (CHAIN_BLOCK_BATCH_SIZE, default 50): one request per batch. */
  chainHeaderBatch: number;
}

interface ChainSpecShape {
  fromBlock: string;
  toBlock: string;
  span: number;
}

const isChainSpec = (s: unknown): s is ChainSpecShape =>
  typeof s === 'object' && s !== null && typeof (s as ChainSpecShape).fromBlock === 'string' && typeof (s as ChainSpecShape).span === 'number';

/**
 * Receipt batches a shard sends: each page reads the receipts of its own
 * adapter-routed transactions, `batch` to a request, so the transactions are
 * spread over the shard's pages and each page that holds some rounds up.
 * Fewer transactions than pages: each is taken to sit on a page of its own.
 */
export function receiptBatches(transactions: number, pages: number, batch: number): number {
  if (transactions <= 0) return 0;
  if (transactions < pages) return Math.ceil(transactions);
  return pages * Math.ceil(transactions / pages / Math.max(1, batch));
}

/**
 * What a sync will fetch and how long it takes at the configured limits,
 * from the sources' plans alone. Pure: the numbers are as good as the plans'
 * estimates (the chain's sampled log density, the subgraph's per-token fill
 * counts, which count a token's whole history even for a bounded window).
 *
 * Requests per source: the chain sends one eth_getLogs per `span` blocks of
 * each shard and one header batch per `chainHeaderBatch` blocks that hold
 * logs without a blockTimestamp (at most one per such row), and the
 * receipt batches of adapter-routed activity (receiptBatches); the subgraph
 * one page per `subgraphPageSize`
 * rows of each shard plus its last, short page; the market lists at least
 * one page each (their size is not known before reading them).
 */
export function estimateFromPlans(plans: Partial<Record<SourceName, SourcePlan<unknown>>>, limits: EstimateLimits): FirstSyncEstimate {
  const sources: SourceEstimate[] = [];
  for (const source of SOURCE_NAMES) {
    const plan = plans[source];
    if (!plan) continue;
    const rows = plan.shards.reduce((n, s) => n + s.estimatedRows, 0);
    let requests = 0;
    let blocks: number | undefined;
    let headerRequests: number | undefined;
    let receiptRequests: number | undefined;
    if (source === 'chain') {
      blocks = 0;
      headerRequests = 0;
      receiptRequests = 0;
      for (const shard of plan.shards) {
        if (!isChainSpec(shard.spec)) continue;
        const n = Number(BigInt(shard.spec.toBlock) - BigInt(shard.spec.fromBlock) + 1n);
        blocks += n;
        const pages = Math.ceil(n / Math.max(1, shard.spec.span));
        const receipts = receiptBatches(shard.estimatedReceipts ?? 0, pages, limits.chainHeaderBatch);
        const headers = Math.ceil(Math.min(n, shard.estimatedUntimedRows ?? shard.estimatedRows) / limits.chainHeaderBatch);
        headerRequests += headers;
        receiptRequests += receipts;
        requests += pages + headers + receipts;
      }
    } else if (source === 'subgraph') {
      for (const shard of plan.shards) requests += Math.floor(shard.estimatedRows / limits.subgraphPageSize) + 1;
    } else {
      requests = plan.shards.length;
    }
    const rps = limits.requestsPerSecond[source];
    sources.push({
      source,
      shards: plan.shards.length,
      rows,
      ...(blocks === undefined ? {} : { blocks }),
      requests,
      ...(headerRequests === undefined ? {} : { headerRequests }),
      ...(receiptRequests === undefined ? {} : { receiptRequests }),
      ...(rps === undefined ? {} : { requestsPerSecond: rps, seconds: requests / rps }),
    });
  }
  const fetching = sources.filter((s) => s.rows > 0);
  const paced = fetching.filter((s) => s.seconds !== undefined).map((s) => s.seconds!);
  return {
    sources,
    rows: sources.reduce((n, s) => n + s.rows, 0),
    blocks: sources.reduce((n, s) => n + (s.blocks ?? 0), 0),
    ...(paced.length > 0 ? { seconds: Math.max(...paced) } : {}),
    unpaced: fetching.filter((s) => s.seconds === undefined).map((s) => s.source),
  };
}

/** The limits the local sync runs at, from the source settings (as buildSources reads them). */
export function estimateLimits(s: SourceSettings): EstimateLimits {
  const requestsPerSecond: Partial<Record<SourceName, number>> = {};
  for (const source of SOURCE_NAMES) {
    const rps = sourceAllowance(source, s);
    if (rps !== undefined) requestsPerSecond[source] = rps;
  }
  return { requestsPerSecond, subgraphPageSize: s.SUBGRAPH_PAGE_SIZE, chainHeaderBatch: s.CHAIN_BLOCK_BATCH_SIZE ?? 50 };
}

/**
 * Plans every enabled source as the planner would for these watermarks and
 * window, and keeps the plans: nothing is recorded or enqueued (plan() is
 * read-only on a source). The sources' own calls (the chain's density
 * probes, the subgraph's token counts) are made, so a sync that follows
 * repeats them once.
 */
export async function planWithoutRunning(
  sources: SourceRegistry,
  watermarks: Partial<Record<SourceName, string | null>>,
  window?: PlanWindow,
  signal?: AbortSignal,
): Promise<Partial<Record<SourceName, SourcePlan<unknown>>>> {
  const plans: Partial<Record<SourceName, SourcePlan<unknown>>> = {};
  for (const name of SOURCE_NAMES) {
    const source = sources[name];
    if (!source) continue;
    plans[name] = await source.plan({ watermark: watermarks[name] ?? null, ...(window ? { window } : {}), ...(signal ? { signal } : {}) });
  }
  return plans;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const shards = (n: number) => `${count(n)} shard${n === 1 ? '' : 's'}`;
/** What the chain's requests are: pages of logs, header batches (an upper bound) and receipt batches. */
function chainParts(s: SourceEstimate): string {
  const headers = s.headerRequests ?? 0;
  const receipts = s.receiptRequests ?? 0;
  const pages = s.requests - headers - receipts;
  const parts = [`${count(pages)} eth_getLogs`];
  if (headers > 0) parts.push(`up to ${count(headers)} header batches (none where logs carry blockTimestamp or the chain's rule proves block times)`);
  if (receipts > 0) parts.push(`${count(receipts)} receipt batches for activity through collateral adapters`);
  return `            of them ${parts.join(', ')}`;
}

/** "3 h 20 min", "12 min", "40 s". */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.ceil(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}

/** The estimate as the CLI prints it before a first sync. */
export function formatFirstSyncEstimate(e: FirstSyncEstimate): string {
  const lines = ['what this sync will fetch (estimated from the plan, before anything is fetched):'];
  for (const s of e.sources) {
    const pace = s.seconds === undefined ? 'not paced' : `about ${formatDuration(s.seconds)} at ${s.requestsPerSecond} requests/s`;
    if (s.source === 'markets') {
      lines.push(`  markets   ${s.shards} market list(s), read whole: at least ${count(s.requests)} requests`);
    } else if (s.source === 'chain') {
      lines.push(
        `  chain     ~${count(s.rows)} fills and events over ${count(s.blocks ?? 0)} blocks, ${shards(s.shards)}: ~${count(s.requests)} requests, ${pace}`,
        chainParts(s),
      );
    } else {
      lines.push(`  subgraph  ~${count(s.rows)} fills (at most), ${shards(s.shards)}: ~${count(s.requests)} requests, ${pace}`);
    }
  }
  if (e.seconds !== undefined)
    lines.push(`  expected time: about ${formatDuration(e.seconds)} (the sources are fetched side by side; the slowest sets the pace)`);
  for (const source of e.unpaced) {
    lines.push(`  ${source} is not paced: set ${SOURCE_RATE_SETTINGS[source]} to your provider's limit for a time estimate (and to stay under it)`);
  }
  return lines.join('\n');
}
