import type { z } from 'zod';
import type { StagedRecord } from '#shared/model/staged.ts';

/** The sources the pipeline knows. The planner plans each enabled one every run. */
export const SOURCE_NAMES = ['markets', 'subgraph', 'chain'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/**
 * Where a run may start and stop, from the operator (`--from`/`--to`). Each
 * source reads the bound it understands: dates for the subgraph, dates or
 * block numbers for the chain. Absent bounds mean "from the watermark" and
 * "up to the source's safe head".
 */
export interface PlanWindow {
  from?: string;
  to?: string;
}

export interface PlanInput {
  /** What the last completed run reached for this source (the source's own encoding), or null on a first run. */
  watermark: string | null;
  window?: PlanWindow;
  /**
   * How many fetchers run at once (in AWS the shard queue's event source
   * `maxConcurrency`, given to the planner as FETCHER_CONCURRENCY; locally
   * `--concurrency`). Each takes QUEUE_SETTINGS.fetcherBatchSize shards and
   * pages each one request after another, so a history cut into fewer shards
   * than that leaves fetchers idle and the source's allowance unused: a
   * source sizes its shards by this as well as by rows (at least
   * `minShardsFor(fetcherConcurrency)` when its rows allow). Absent: sized by
   * rows alone.
   */
  fetcherConcurrency?: number;
  signal?: AbortSignal;
}

/**
 * Shards a source aims at per fetcher when its history is small: two batches
 * of two (QUEUE_SETTINGS.fetcherBatchSize). More than one batch: shards differ
 * in size and fetchers start at different times, so with one batch each the
 * run waits on the slowest; with several, a fetcher that finishes early takes
 * the next and the tail is a fraction of a shard. More would cut pieces of a
 * few pages, each ending on a short one. Chosen from `npm run bench -- --only
 * sharding` (docs/BENCHMARKS.md).
 */
export const SHARDS_PER_FETCHER = 4;

/** The fewest shards a plan should have so that every fetcher has work: SHARDS_PER_FETCHER per fetcher (1 without a figure). */
export function minShardsFor(fetcherConcurrency: number | undefined): number {
  return fetcherConcurrency && fetcherConcurrency > 0 ? SHARDS_PER_FETCHER * Math.floor(fetcherConcurrency) : 1;
}

export interface PlannedShard<Spec> {
  spec: Spec;
  /** Rows the planner expects this shard to yield; drives progress bars and shard sizing. */
  estimatedRows: number;
  /** Short human label for logs: "42 tokens", "blocks 100..199". */
  label: string;
  /** Transaction receipts the planner expects this shard to read besides its pages (the chain's adapter-routed activity); absent: none. */
  estimatedReceipts?: number;
  /** Of `estimatedRows`, those whose logs carry no block time (the chain reads their blocks' headers); absent: all of them. */
  estimatedUntimedRows?: number;
}

export interface SourcePlan<Spec> {
  shards: PlannedShard<Spec>[];
  /**
   * The watermark this source reaches once every shard of the run is fetched
   * and loaded; null for sources without one (the market list is refreshed whole).
   */
  target: string | null;
}

export interface SourcePage<Cursor> {
  records: StagedRecord[];
  /** Where the next page starts; null when the shard is exhausted. */
  next: Cursor | null;
}

/** Up to a number of pages read as one (what one staged object holds). */
export interface SourceBatch<Cursor> extends SourcePage<Cursor> {
  /** Pages the batch covers (at least 1). */
  pages: number;
}

/**
 * A place fills or markets come from. The planner, fetcher and loader only
 * see this interface: a new source plugs in by implementing it and being
 * registered in sources/registry.ts.
 *
 * Contract:
 * - plan() is read-only on the source and may be called again after a crash.
 * - fetchPage(spec, cursor) reads the same blocks or ids again for the same
 *   cursor, so a re-fetched page stages the same fills. A source that adapts
 *   its requests to what its instance has learned (the chain's spans and aim)
 *   may cut a re-fetch at another point: the re-staged object then has another
 *   ETag and loads again, its fills deduplicated by fill_id, and the shard goes
 *   on from the cursor recorded with it, so nothing is skipped.
 * - Records come back already validated and mapped; rows that fail validation
 *   come back as `rejects` records with their reason, never thrown away.
 * - Transient failures are retried inside the source; what escapes is final
 *   for this attempt, and the shard will be retried from its last cursor.
 * - fetchBatch(spec, cursor, maxPages), where a source has it, reads up to
 *   maxPages pages as one: the same records as those pages one by one, with
 *   the work they share done once (the chain reads the block headers of the
 *   whole batch in one go). It may stop before maxPages (to bound memory),
 *   by the same rules as fetchPage, or when `stopEarly` says so after a
 *   page. Callers go through `readPages` in
 *   sources/batch.ts, which pages one by one for a source without it.
 */
export interface Source<Spec = unknown, Cursor = unknown> {
  readonly name: SourceName;
  readonly specSchema: z.ZodType<Spec>;
  readonly cursorSchema: z.ZodType<Cursor>;
  plan(input: PlanInput): Promise<SourcePlan<Spec>>;
  fetchPage(spec: Spec, cursor: Cursor | null, signal?: AbortSignal): Promise<SourcePage<Cursor>>;
  fetchBatch?(spec: Spec, cursor: Cursor | null, maxPages: number, signal?: AbortSignal, stopEarly?: StopEarly): Promise<SourceBatch<Cursor>>;
  /**
   * Where a source has it, divides what a shard has left at `cursor` in two,
   * so an idle fetcher can take half of a long shard at the end of a run
   * (pipeline/shard-split.ts); null when too little is left to be worth a
   * shard of its own. Pure: the same arguments give the same division.
   */
  divideRest?(spec: Spec, cursor: Cursor | null): ShardDivision<Spec> | null;
}

/**
 * What a shard has left, divided at its cursor: the part it keeps (its spec
 * narrowed) and a new shard for the rest. `restShare` is the rest's part of
 * the work left, 0..1, to divide the shard's row estimate.
 */
export interface ShardDivision<Spec> {
  keep: Spec;
  rest: { spec: Spec; label: string };
  restShare: number;
}

/** Asked after each page of a batch that would go on; true ends the batch there (the fetcher's way to split a shard soon). */
export type StopEarly = () => Promise<boolean>;

export type AnySource = Source<unknown, unknown>;
