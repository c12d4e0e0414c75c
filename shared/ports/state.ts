import type { PlanWindow, SourceName } from '#shared/sources/source.ts';

export type RunStatus = 'planning' | 'enqueued' | 'complete';

export interface RunSourcePlan {
  /** The watermark the source reaches when the run completes (null: the source has none). */
  target: string | null;
  shards: number;
  estimatedRows: number;
}

/**
 * What a run has finished, kept on the run record itself so completion reads
 * one record whatever the run's size. A shard is *settled* once it is fetched
 * to the end and every object it staged is recorded loaded; each shard is
 * counted once, when it settles, with the objects and rows it staged.
 */
export interface RunCounters {
  shardsSettled: number;
  objectsSettled: number;
  rowsSettled: number;
}

export interface RunRecord {
  runId: string;
  status: RunStatus;
  createdAt: number;
  completedAt?: number;
  sources: Partial<Record<SourceName, RunSourcePlan>>;
  /** Shards planned, plus those split off since (each counted once, by addSplitShard). */
  shardCount: number;
  /** Shards a fetcher has taken (startShard); below shardCount, some wait in the queue. */
  shardsStarted?: number;
  /**
   * Set when an operator asked for a window (a replay): such a run may
   * re-fetch fills that are already loaded, so its loads skip those.
   */
  window?: PlanWindow;
  /**
   * Kept by the store (openRun starts them at zero; whatever the caller passes
   * is ignored). Absent on a run opened before the store kept counters: such a
   * run is complete when its listing says so (see completion.ts).
   */
  counters?: RunCounters;
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
  /** When a fetcher first took the shard (absent: still waiting in the queue). */
  startedAt?: number;
  /** An idle fetcher asked this shard's fetcher to split off half of what it has left (pipeline/shard-split.ts). */
  splitWanted?: boolean;
  /** A split this shard's fetcher began and has not finished: the new shard it owes the run. */
  owedSplit?: OwedSplit;
}

/** The new shard a split makes, as its owner records it before creating it. */
export interface OwedSplit {
  shardId: string;
  /** The new shard's spec, as JSON. */
  spec: string;
  label: string;
  estimatedRows: number;
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

/** Where a staged object sits in its run: its shard and its sequence number there. */
export interface StagedPlace {
  shardId: string;
  seq: number;
}

export interface Watermark {
  source: SourceName;
  value: string;
  runId: string;
  updatedAt: number;
}

/**
 * Where a bounded first sync (`sync --since`) started a source: its history
 * before that is left on purpose, for a later windowed run to load.
 */
export interface HistoryStart {
  source: SourceName;
  /** The watermark the bounded start set (for the chain: the last block left out). */
  watermark: string;
  /** The `--since` instant, ISO. */
  since: string;
  runId: string;
}

export interface LoadHeartbeat {
  lastLoadAt: number;
  /** Newest fill timestamp (unix s) loaded so far, per source. */
  newestFill: Partial<Record<SourceName, number>>;
}

/**
 * Run state, checkpoints and watermarks. Every write is a conditional
 * single-item write, so each step can be repeated or raced safely: the
 * run's counters are kept exact by conditions, not by transactions.
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
  /**
   * Advances a shard only if nobody advanced it past `expectedSeq` meanwhile.
   * When this finishes a shard whose objects are all loaded already (or that
   * staged none), the shard is counted as settled on its run.
   */
  advanceShard(runId: string, shardId: string, expectedSeq: number, progress: ShardProgress): Promise<boolean>;
  /**
   * Records that a fetcher took the shard: startedAt on the shard, and the
   * run's shardsStarted counted once, so idle fetchers know whether any shard
   * still waits for one without listing them.
   */
  startShard(runId: string, shardId: string): Promise<void>;
  /**
   * Asks the shard's fetcher to split off half of what it has left. False
   * when the shard is done, already asked, or still owes a split.
   */
  requestSplit(runId: string, shardId: string): Promise<boolean>;
  /** A shard id no shard of the run has had, for a split's new shard. */
  issueShardId(runId: string): Promise<string>;
  /**
   * The owner's half of a split, in one conditional write on its record: its
   * narrower spec and estimate, and the new shard it now owes (kept until
   * endSplit, so a fetcher that dies midway finishes the split on its next
   * delivery). Clears the request. False if the shard moved past
   * `expectedSeq`, finished, or owes a split already.
   */
  beginSplit(runId: string, shardId: string, expectedSeq: number, keep: { spec: string; estimatedRows: number }, owed: OwedSplit): Promise<boolean>;
  /** Records a split's new shard (unless it exists) and counts it in the run's shardCount, once. */
  addSplitShard(shard: ShardRecord): Promise<void>;
  /** Clears the shard's request and owed split: the split is finished, or declined. */
  endSplit(runId: string, shardId: string): Promise<void>;
  /**
   * Counts the shard as settled on its run if it is, and is not counted yet.
   * advanceShard and markLoaded do this themselves; this is for a message
   * delivered again after its first delivery died between the two writes.
   */
  settleShard(runId: string, shardId: string): Promise<void>;

  /** True when this exact object version (key and ETag) is recorded as loaded. */
  isLoaded(runId: string, key: string, etag: string): Promise<boolean>;
  /**
   * Records the object as loaded, on its shard and then as its own record,
   * and counts the shard as settled on its run when this was the last object
   * of a finished shard. Idempotent: recording the same object (key) twice
   * keeps the first record and counts nothing twice.
   */
  markLoaded(runId: string, object: LoadedObject, place: StagedPlace): Promise<void>;
  listLoaded(runId: string): Promise<Map<string, LoadedObject>>;

  /**
   * Closes the run, once: sets each source's watermark to its target (never
   * moving one backwards), then marks the run complete if it is still
   * enqueued and (with counters) every shard is settled, and clears the
   * open-run pointer. True only for the call that marked it complete. On a
   * run already complete it only makes sure the pointer no longer names it.
   */
  completeRun(run: RunRecord): Promise<boolean>;
  getWatermarks(): Promise<Partial<Record<SourceName, Watermark>>>;
  recordHistoryStart(start: HistoryStart): Promise<void>;
  getHistoryStarts(): Promise<Partial<Record<SourceName, HistoryStart>>>;

  recordLoad(at: number, newestFill: Partial<Record<SourceName, number>>): Promise<void>;
  getLoadHeartbeat(): Promise<LoadHeartbeat | null>;
}
