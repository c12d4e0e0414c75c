import { DEFAULT_PAGES_PER_OBJECT } from '#shared/config.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import { fetchBatch } from '#shared/sources/batch.ts';
import type { SourceBatch } from '#shared/sources/source.ts';
import { createChainSource, type ChainCursor, type ChainSourceStats, type LogCatalogue } from '#shared/sources/chain/index.ts';
import type { ProviderProfile } from './profiles.ts';

export interface SourceRun {
  /** fill_id of every fill record, in the order the pages gave them. */
  fillIds: string[];
  /** chain_coverage rows, as [from, to]. */
  coverage: [number, number][];
  shards: number;
  pages: number;
  /** Wall time of the plan, and of the whole backfill (plan included). */
  planMs: number;
  ms: number;
  stats: ChainSourceStats;
}

/**
 * A backfill as the pipeline runs it, without the staging around it: the
 * source plans (with the fetchers' concurrency), then `fetchers` workers take
 * shards in order and page each one sequentially, a staged object's worth of
 * pages (PAGES_PER_OBJECT) at a time, as the fetcher functions do.
 * The source is configured as an operator would for the profile: its span
 * cap (or none), its result cap, its rate as CHAIN_REQUESTS_PER_SECOND.
 */
export async function backfillWithSource(opts: {
  url: string;
  catalogue: LogCatalogue;
  genesis: number;
  profile: ProviderProfile;
  fetchers: number;
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
  const plan = await source.plan({ watermark: null, fetcherConcurrency: opts.fetchers });
  const planMs = performance.now() - started;
  const fillIds: string[][] = plan.shards.map(() => []);
  const coverage: [number, number][] = [];
  let pages = 0;
  let nextShard = 0;
  const take = (records: StagedRecord[], into: string[]) => {
    for (const r of records) {
      if (r.table === 'fills') into.push(String((r.row as { fill_id: unknown }).fill_id));
      else if (r.table === 'chain_coverage') {
        const row = r.row as { from_block: number; to_block: number };
        coverage.push([row.from_block, row.to_block]);
      }
    }
  };
  const worker = async () => {
    for (let i = nextShard++; i < plan.shards.length; i = nextShard++) {
      const shard = plan.shards[i];
      if (!shard) break;
      let cursor: ChainCursor | null = null;
      do {
        const batch: SourceBatch<ChainCursor> = await fetchBatch(source, shard.spec, cursor, DEFAULT_PAGES_PER_OBJECT);
        pages += batch.pages;
        take(batch.records, fillIds[i] as string[]);
        cursor = batch.next;
      } while (cursor !== null);
    }
  };
  await Promise.all(Array.from({ length: opts.fetchers }, worker));
  return { fillIds: fillIds.flat(), coverage, shards: plan.shards.length, pages, planMs, ms: performance.now() - started, stats: { ...source.stats } };
}
