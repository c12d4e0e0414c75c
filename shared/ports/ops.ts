/**
 * What the operator's tools (status, redrive, replay) need from the world,
 * as interfaces. The domain functions beside this file know only these; the
 * adapters (SQS, ClickHouse, Lambda, the local runner) live next to them and
 * the CLIs in local/cli/ wire one or the other.
 */
import type { PlannerResult } from '#shared/pipeline/planner.ts';
import type { PlanWindow, SourceName } from '#shared/sources/source.ts';

/** The two work queues; each has its own dead-letter queue. */
export type QueueRole = 'shards' | 'loads';
export const QUEUE_ROLES: readonly QueueRole[] = ['shards', 'loads'];

export interface RedriveResult {
  role: QueueRole;
  /** Messages moved back (for a server-side move task: how many it will move, as SQS reported). */
  moved: number;
  /** 'move-task': SQS StartMessageMoveTask; 'copy': receive from the DLQ, send to the queue, delete. */
  method: 'move-task' | 'copy' | 'none';
  /** Set when SQS runs the move asynchronously: the task handle, for ListMessageMoveTasks. */
  taskHandle?: string;
}

/** The dead-letter queues of the shard and load queues. */
export interface DeadLetterQueues {
  /** Messages in the role's DLQ (visible and in flight). */
  depth(role: QueueRole): Promise<number>;
  /** Moves every message of the role's DLQ back to the queue it came from. */
  moveBack(role: QueueRole): Promise<RedriveResult>;
}

export interface RejectCount {
  source: string;
  reason: string;
  count: number;
}

/** Read-only questions to the warehouse. */
export interface WarehouseStats {
  /** The newest run id that staged anything the warehouse holds (run ids sort by time). */
  latestRunId(): Promise<string | null>;
  /** Rows set aside as rejects by the given run's staged objects, by source and reason. */
  rejectsOfRun(runId: string): Promise<RejectCount[]>;
}

/** Where a source stands now, in its watermark's encoding (unix seconds, block number). */
export interface SourceHeads {
  head(source: SourceName, watermark: string | null): Promise<string | null>;
}

/** Starts a planner with a replay window: the local runner's cycle, or the deployed planner Lambda. */
export type PlannerInvoker = (window: PlanWindow) => Promise<PlannerResult>;
