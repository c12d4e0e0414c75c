/** What the parent tells a child process to do, and what comes back. */
import type { RefreshResult } from '#shared/positions/refresh.ts';
import type { GeneratedEvents, PositionsDataSpec } from './positions-data.ts';

export interface SourceEndpoints {
  subgraphUrl: string;
  marketsUrl: string;
}

export interface ApproachRequest {
  kind: 'pipeline-backfill' | 'pipeline-incremental' | 'per-market' | 'global-cursor' | 'loader' | 'fetcher' | 'positions';
  sources: SourceEndpoints;
  /** Workers / fetcher concurrency. */
  workers: number;
  /** Scratch directory for this child (chDB data, staged files). */
  dir: string;
  /** Fills the source holds (for completeness checks). */
  expectedFills: number;
  /** Pipeline: PAGES_PER_OBJECT. */
  pagesPerObject?: number;
  /** Pipeline: the sources' allowance it is configured with (SUBGRAPH_/MARKETS_REQUESTS_PER_SECOND); unset: not paced. */
  sourceRequestsPerSecond?: number;
  /** Global cursor: 'complete' or the lossy 'timestamp_gt'. */
  cursor?: 'complete' | 'timestamp_gt';
  /** Global cursor: pages gathered per insert. */
  pagesPerInsert?: number;
  /** Loader: staged object files to load, in order. */
  files?: string[];
  /** Loader: send inserts over HTTP to this ClickHouse-speaking sink instead of chDB (the Lambda's code path). */
  sinkUrl?: string;
  /** Fetcher alone: the source it reads (default subgraph). */
  fetcherSource?: 'subgraph' | 'markets';
  /** Positions: one step of the positions part (bench/approaches/positions.ts). */
  positions?: PositionsStep;
}

/** The positions part's steps, each in a fresh child over the same chDB directory. */
export type PositionsStep =
  { step: 'generate'; data: PositionsDataSpec } | { step: 'extend'; data: PositionsDataSpec; share: number } | { step: 'refresh'; upToBlock: number };

/** What a positions step did: the events it generated, or the refresh it measured. */
export type PositionsStepResult =
  { step: 'generate' | 'extend'; events: GeneratedEvents & { markets?: number } } | { step: 'refresh'; refresh: PositionsRefreshFigures };

export interface PositionsRefreshFigures {
  /** refreshPositions's own answer (wallets, events, positions written, skips). */
  result: RefreshResult;
  /** Wall time of the refreshPositions call alone. */
  wallMs: number;
  /** Rows of `positions FINAL` after the refresh. */
  positionsRows: number;
  /** Active parts of `positions` on disk after the refresh (older versions not merged away yet included). */
  positionsBytesOnDisk: number;
}

export interface ApproachResult {
  kind: ApproachRequest['kind'];
  ok: boolean;
  reason?: string;
  wallMs: number;
  fillsLoaded: number;
  /** count() FROM fills FINAL after the run (distinct fills in ClickHouse). */
  fillsInWarehouse: number;
  clickhouseInserts: number;
  /** Requests the client made, by its own count (including retries after a 429). */
  clientRequests: number;
  clientThrottled: number;
  /** Extra numbers each approach reports. */
  extra: Record<string, number | string>;
  /** Lambda-style invocation time, by function (pipeline only). */
  invocations?: Record<string, { count: number; totalMs: number; maxMs: number }>;
  /** AWS API calls by the function that made them (pipeline only): "fetcher:S3:PutObjectCommand" → n. */
  awsCalls?: Record<string, number>;
  /** Positions part only. */
  positions?: PositionsStepResult;
}

export interface ChildMemory {
  /** process.resourceUsage().maxRSS, bytes. */
  maxRssBytes: number;
  /** Highest sampled heapUsed + external + arrayBuffers (what Node itself holds), bytes. */
  peakJsBytes: number;
  /** RSS after start-up (engine loaded), before the measured work, bytes. */
  baselineRssBytes: number;
}

export type ChildMessage =
  { type: 'ready' } | { type: 'result'; result: ApproachResult } | { type: 'error'; message: string } | { type: 'memory'; memory: ChildMemory };

export type ParentMessage = { type: 'run'; request: ApproachRequest } | { type: 'exit' };
