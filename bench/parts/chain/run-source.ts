import { DEFAULT_PAGES_PER_OBJECT } from '#shared/config.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import { QUEUE_SETTINGS } from '#shared/pipeline/queue-settings.ts';
import { readPages } from '#shared/sources/batch.ts';
import { createChainSource, type ChainCursor, type ChainShardSpec, type ChainSourceStats, type LogCatalogue } from '#shared/sources/chain/index.ts';
import type { ProviderProfile } from './profiles.ts';

export interface SourceRun {
  /** fill_id of every fill record: shard by shard (planned, then new ones as made), each in page order. */
  fillIds: string[];
  /** chain_coverage rows, as [from, to]. */
  coverage: [number, number][];
  /** Shards planned plus those made by divisions. */
  shards: number;
  /** New shards made by dividing a running one for an idle fetcher. */
  divisions: number;
  /** Each shard as it ended (narrowed by its divisions): its blocks, the plan's row estimate (its share of it) and the fills it read. */
  shardFills: { fromBlock: number; toBlock: number; estimatedRows: number; fills: number }[];
  pages: number;
  /** Wall time of the plan, and of the whole backfill (plan included). */
  planMs: number;
  ms: number;
  /** The source's counters when the plan was made, and at the end. */
  planStats: ChainSourceStats;
  stats: ChainSourceStats;
}

/** A shard of the run, as the pipeline's state store tracks it. */
interface RunShard {
  spec: ChainShardSpec;
  estimatedRows: number;
  /** Records read so far (the pipeline's rowsStaged). */
  rowsRead: number;
  fillIds: string[];
  done: boolean;
  /** An idle fetcher asked this shard to divide; its owner answers after the page in hand. */
  asked: boolean;
}

/**
 * The fetcher functions that page `shardsAtOnce` shards together as deployed:
 * each invocation takes QUEUE_SETTINGS.fetcherBatchSize shards and pages them
 * side by side, and the planner is told the functions (FETCHER_CONCURRENCY),
 * not the shards in flight.
 */
export function fetcherFunctions(shardsAtOnce: number): number {
  return Math.max(1, Math.floor(shardsAtOnce / QUEUE_SETTINGS.fetcherBatchSize));
}

/**
 * A backfill as the pipeline runs it, without the staging around it: the
 * source plans (told `fetcherFunctions(fetchers)`, as FETCHER_CONCURRENCY is
 * in AWS and locally), then `fetchers` workers (the shards in flight) take
 * shards in order and page each one sequentially, a staged object's worth of
 * pages (PAGES_PER_OBJECT) at a time, as the fetcher functions do.
 * At the end, as in pipeline/shard-split.ts: a worker that finds no shard
 * left asks the running shard with the most rows left to divide, and waits
 * for a new shard (or the end); the owner ends its batch after the page in
 * hand, keeps half of what it has left and queues the other half as a new
 * shard.
 * The source is configured as an operator would for the profile: its span
 * cap (or none), its result cap, its rate as CHAIN_REQUESTS_PER_SECOND.
 */
export async function backfillWithSource(opts: {
  url: string;
  catalogue: LogCatalogue;
  genesis: number;
  profile: ProviderProfile;
  fetchers: number;
  /** Shard splits at the run's end, as the pipeline does them (default on; off to measure what they bring). */
  splits?: boolean;
}): Promise<SourceRun> {
  const { profile } = opts;
  const source = createChainSource({
    rpcUrl: opts.url,
    catalogue: opts.catalogue,
    genesisBlock: opts.genesis,
    useFinalized: false,
    confirmations: 0,
    // No stated span cap: the operator leaves CHAIN_MAX_BLOCK_SPAN unset... and the source must not invent one.
    maxBlockSpan: profile.maxSpan ?? 1_000_000,
    maxLogsPerRequest: profile.maxResults,
    pace: { source: 'chain', requestsPerSecond: profile.callsPerSecond },
    blockBatchSize: 1_000,
    timestampCacheSize: 200_000,
  });
  const started = performance.now();
  const plan = await source.plan({ watermark: null, fetcherConcurrency: fetcherFunctions(opts.fetchers) });
  const planMs = performance.now() - started;
  const planStats = structuredClone(source.stats);
  const newShard = (spec: ChainShardSpec, estimatedRows: number): RunShard => ({ spec, estimatedRows, rowsRead: 0, fillIds: [], done: false, asked: false });
  // Every shard of the run, in the order it was queued; shards[next] is the next to start.
  const shards = plan.shards.map((s) => newShard(s.spec, s.estimatedRows));
  let next = 0;
  const coverage: [number, number][] = [];
  let pages = 0;

  // Idle workers wait on `changed`; it resolves when a shard is queued or the last one is done.
  let wake = () => {};
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const signal = () => {
    wake();
    changed = new Promise<void>((resolve) => (wake = resolve));
  };

  const take = (records: StagedRecord[], into: string[]) => {
    for (const r of records) {
      if (r.table === 'fills') into.push(String((r.row as { fill_id: unknown }).fill_id));
      else if (r.table === 'chain_coverage') {
        const row = r.row as { from_block: number; to_block: number };
        coverage.push([row.from_block, row.to_block]);
      }
    }
  };

  /** The owner's answer to a request: keep half of what is left, queue the rest. */
  const divideIfAsked = (shard: RunShard, cursor: ChainCursor) => {
    if (!shard.asked) return;
    shard.asked = false;
    const division = opts.splits === false ? null : (source.divideRest?.(shard.spec, cursor) ?? null);
    if (!division) return;
    const left = Math.max(0, shard.estimatedRows - shard.rowsRead);
    const restRows = Math.round(left * division.restShare);
    shard.spec = division.keep;
    shard.estimatedRows -= restRows;
    shards.push(newShard(division.rest.spec, restRows));
    signal();
  };

  const page = async (shard: RunShard) => {
    let cursor: ChainCursor | null = null;
    do {
      // As the fetcher does, a batch ends early, after the page in hand, when the shard is asked to divide.
      const batch: { next: ChainCursor | null; pages: number } = await readPages(
        source,
        shard.spec,
        cursor,
        DEFAULT_PAGES_PER_OBJECT,
        (records) => {
          shard.rowsRead += records.length;
          take(records, shard.fillIds);
        },
        undefined,
        () => Promise.resolve(shard.asked),
      );
      pages += batch.pages;
      cursor = batch.next;
      if (cursor !== null) divideIfAsked(shard, cursor);
    } while (cursor !== null);
    shard.done = true;
    if (shards.every((s) => s.done)) signal();
  };

  /** Asks the running shard (started, not done, not already asked) with the most rows left. */
  const askToDivide = () => {
    let best: RunShard | undefined;
    for (const s of shards.slice(0, next)) {
      if (s.done || s.asked) continue;
      if (!best || s.estimatedRows - s.rowsRead > best.estimatedRows - best.rowsRead) best = s;
    }
    if (best) best.asked = true;
  };

  const worker = async () => {
    for (;;) {
      const shard = shards[next];
      if (shard) {
        next++;
        await page(shard);
      } else if (shards.some((s) => !s.done)) {
        askToDivide();
        await changed;
      } else return;
    }
  };
  await Promise.all(Array.from({ length: opts.fetchers }, worker));
  return {
    fillIds: shards.flatMap((s) => s.fillIds),
    coverage,
    shards: shards.length,
    divisions: shards.length - plan.shards.length,
    shardFills: shards.map((s) => ({
      fromBlock: Number(s.spec.fromBlock),
      toBlock: Number(s.spec.toBlock),
      estimatedRows: s.estimatedRows,
      fills: s.fillIds.length,
    })),
    pages,
    planMs,
    ms: performance.now() - started,
    planStats,
    stats: structuredClone(source.stats),
  };
}
