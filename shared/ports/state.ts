import type { PlanWindow, SourceName } from '../sources/source.ts';

export type RunStatus = 'planning' | 'enqueued' | 'complete';

export interface RunSourcePlan {
  /** The watermark the source reaches when the run completes (null: the source has none). */
  target: string | null;
  shards: number;
  estimatedRows: number;
}

export interface RunRecord {
  runId: string;
  status: RunStatus;
  createdAt: number;
  completedAt?: number;
  sources: Partial<Record<SourceName, RunSourcePlan>>;
  shardCount: number;
  /**
   * Set when an operator asked for a window (a replay): such a run may
   * re-fetch fills that are already loaded, so its loads skip those.
   */
  window?: PlanWindow;
}

export interface ShardRecord {
  runId: string;
  shardId: string;
  source: SourceName;
  /** The source's shard spec, as JSON. */
  spec: string;
  label: string;
  estimatedRows: number;
  /** Where the next page starts, as JSON; null before the first page. */
  cursor: string | null;
  /** Sequence number of the next staged object; also the count of objects staged so far. */
  nextSeq: number;
  done: boolean;
  rowsStaged: number;
  updatedAt: number;
}

export interface ShardProgress {
  cursor: string | null;
  nextSeq: number;
  done: boolean;
  rowsStaged: number;
}

export interface LoadedObject {
  key: string;
  etag: string;
  rows: number;
}

export interface Watermark {
  source: SourceName;
  value: string;
  runId: string;
  updatedAt: number;
}

export interface LoadHeartbeat {
  lastLoadAt: number;
  /** Newest fill timestamp (unix s) loaded so far, per source. */
  newestFill: Partial<Record<SourceName, number>>;
}

/**
 * Run state, checkpoints and watermarks. Every write is a conditional
 * single-item write, so each step can be repeated or raced safely.
 */
export interface StateStore {
  /** True when this owner now holds the named lease until `now + ttlMs`. */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;

  getOpenRunId(): Promise<string | null>;
  /** Records a new run and makes it the open one; false if another run is open. */
  openRun(run: RunRecord): Promise<boolean>;
  getRun(runId: string): Promise<RunRecord | null>;
  setRunStatus(runId: string, status: RunStatus): Promise<void>;

  /** Creates the shard unless it already exists (a re-plan keeps the recorded progress). */
  putShard(shard: ShardRecord): Promise<void>;
  getShard(runId: string, shardId: string): Promise<ShardRecord | null>;
  listShards(runId: string): Promise<ShardRecord[]>;
  /** Advances a shard only if nobody advanced it past `expectedSeq` meanwhile. */
  advanceShard(runId: string, shardId: string, expectedSeq: number, progress: ShardProgress): Promise<boolean>;

  /** True when this exact object version (key and ETag) is recorded as loaded. */
  isLoaded(runId: string, key: string, etag: string): Promise<boolean>;
  /** Idempotent: recording the same object twice keeps the first record. */
  markLoaded(runId: string, object: LoadedObject): Promise<void>;
  listLoaded(runId: string): Promise<Map<string, LoadedObject>>;

  /**
   * Closes the run: sets each source's watermark to its target (never moving
   * one backwards), marks the run complete and clears the open-run pointer.
   */
  completeRun(run: RunRecord): Promise<void>;
  getWatermarks(): Promise<Partial<Record<SourceName, Watermark>>>;

  recordLoad(at: number, newestFill: Partial<Record<SourceName, number>>): Promise<void>;
  getLoadHeartbeat(): Promise<LoadHeartbeat | null>;
}
