/**
 * A run driven through the real DynamoStateStore against dynalite (the real
 * DynamoDB API), with every DynamoDB call the store makes logged, and a way
 * to make one chosen call fail (before it reaches the table, or after the
 * table applied it and the answer was lost) the way a dying process does.
 */
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#adapters/aws/clients.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { newRunId, shardIdOf } from '#shared/pipeline/run-ids.ts';
import { stagedKey } from '#shared/pipeline/messages.ts';
import type { RunRecord, ShardRecord } from '#shared/ports/state.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';

export interface LoggedCall {
  /** The low-level command, e.g. GetItemCommand, QueryCommand, UpdateItemCommand. */
  command: string;
  /** Items a read returned (GetItem: 0 or 1; Query: its Count); 0 for writes. */
  itemsRead: number;
  input: Record<string, unknown>;
  /** The error's name when the table refused the call (e.g. ConditionalCheckFailedException). */
  failed?: string;
}

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);

export interface Fault {
  /** Picks the call to fail, from its low-level command name and its (marshalled) input. */
  matches(command: string, input: Record<string, unknown>): boolean;
  /** 'before': the table never sees the call; 'after': the table applied it, the answer is lost. */
  when: 'before' | 'after';
}

export class DyingCall extends Error {
  override name = 'DyingCall';
}

export interface Harness {
  aws: LocalAws;
  db: DynamoDBDocumentClient;
  store: DynamoStateStore;
  calls: LoggedCall[];
  /** Arms a fault that fires once, on the first call it matches. */
  failOnce(fault: Fault): void;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const aws = await startLocalAws({});
  const db = dynamoDocumentClient({ region: aws.region, endpoint: aws.dynamoEndpoint });
  const calls: LoggedCall[] = [];
  let fault: Fault | null = null;
  db.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      const input = args.input as Record<string, unknown>;
      const armed = fault?.matches(command, input) ? fault : null;
      if (armed) fault = null;
      if (armed?.when === 'before') throw new DyingCall(`died before ${command}`);
      let result;
      try {
        result = await next(args);
      } catch (err) {
        // A refused conditional write is a call too.
        calls.push({ command, itemsRead: 0, input, failed: (err as Error).name });
        throw err;
      }
      const output = result.output as { Item?: unknown; Count?: number };
      const itemsRead = READS.has(command) ? (output.Count ?? (output.Item ? 1 : 0)) : 0;
      calls.push({ command, itemsRead, input });
      if (armed) throw new DyingCall(`died after ${command}`);
      return result;
    },
    { step: 'initialize', name: 'logCallsForTests' },
  );
  const store = new DynamoStateStore(db, aws.table);
  return {
    aws,
    db,
    store,
    calls,
    failOnce: (f) => (fault = f),
    stop: () => aws.stop(),
  };
}

/** Reads and items read among the logged calls. */
export function readsOf(calls: readonly LoggedCall[]): { calls: number; items: number } {
  const reads = calls.filter((c) => READS.has(c.command));
  return { calls: reads.length, items: reads.reduce((n, c) => n + c.itemsRead, 0) };
}

/** A planned run: objects per shard (0 = the shard stages nothing), rows per object fixed. */
export interface PlannedRun {
  runId: string;
  run: RunRecord;
  objects: number[];
  rowsPerObject: number;
  target: string;
}

export const ROWS_PER_OBJECT = 10;

export function shardIdAt(index: number): string {
  return shardIdOf(index);
}

export function keyOf(runId: string, shard: number, seq: number): string {
  return stagedKey({ runId, source: 'subgraph', shardId: shardIdOf(shard), seq });
}

function shardsOf(runId: string, objects: number[]): ShardRecord[] {
  return objects.map((_, i) => ({
    runId,
    shardId: shardIdOf(i),
    source: 'subgraph',
    spec: '{}',
    label: `shard ${i}`,
    estimatedRows: 0,
    cursor: null,
    nextSeq: 0,
    done: false,
    rowsStaged: 0,
    updatedAt: 0,
  }));
}

function runOf(runId: string, objects: number[], target: string): RunRecord {
  return {
    runId,
    status: 'planning',
    createdAt: Date.now(),
    sources: { subgraph: { target, shards: objects.length, estimatedRows: 0 } },
    shardCount: objects.length,
  };
}

/** Plans the run as the planner does: shards, then the run, then enqueued. */
export async function planRun(h: Harness, objects: number[], target = '1700000000'): Promise<PlannedRun> {
  const runId = newRunId(Date.now());
  for (const shard of shardsOf(runId, objects)) await h.store.putShard(shard);
  const run = runOf(runId, objects, target);
  if (!(await h.store.openRun(run))) throw new Error('another run is open');
  await h.store.setRunStatus(runId, 'enqueued');
  return { runId, run: { ...run, status: 'enqueued' }, objects, rowsPerObject: ROWS_PER_OBJECT, target };
}

/**
 * Plans the run as the version before counters wrote it: the same items, the
 * run item as the plain record (no counters), load records without shard sets.
 */
export async function planLegacyRun(h: Harness, objects: number[], target = '1700000000'): Promise<PlannedRun> {
  const runId = newRunId(Date.now());
  for (const shard of shardsOf(runId, objects)) {
    await h.db.send(new PutCommand({ TableName: h.aws.table, Item: { pk: `run#${runId}`, sk: `shard#${shard.shardId}`, ...shard } }));
  }
  const run = runOf(runId, objects, target);
  await h.db.send(new PutCommand({ TableName: h.aws.table, Item: { pk: 'sync', sk: 'open-run', runId, openedAt: run.createdAt } }));
  await h.db.send(new PutCommand({ TableName: h.aws.table, Item: { pk: `run#${runId}`, sk: 'run', ...run, status: 'enqueued' } }));
  return { runId, run: { ...run, status: 'enqueued' }, objects, rowsPerObject: ROWS_PER_OBJECT, target };
}

/** What the previous version's markLoaded wrote: the load record only. */
export async function legacyMarkLoaded(h: Harness, p: PlannedRun, shard: number, seq: number): Promise<void> {
  const key = keyOf(p.runId, shard, seq);
  await h.db.send(
    new PutCommand({
      TableName: h.aws.table,
      Item: { pk: `run#${p.runId}`, sk: `loaded#${key}`, key, etag: 'e', rows: ROWS_PER_OBJECT, loadedAt: Date.now() },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

/** The fetcher's checkpoint after staging object `seq` of the shard (the last one finishes it). */
export function advanceAfter(h: Harness, p: PlannedRun, shard: number, seq: number): Promise<boolean> {
  const last = p.objects[shard]! - 1;
  return h.store.advanceShard(p.runId, shardIdOf(shard), seq, {
    cursor: seq === last ? null : `"page ${seq + 1}"`,
    nextSeq: seq + 1,
    done: seq === last,
    rowsStaged: (seq + 1) * ROWS_PER_OBJECT,
  });
}

/** The fetcher's checkpoint of a shard that found nothing to stage: done at seq 0. */
export function finishEmpty(h: Harness, p: PlannedRun, shard: number): Promise<boolean> {
  return h.store.advanceShard(p.runId, shardIdOf(shard), 0, { cursor: null, nextSeq: 0, done: true, rowsStaged: 0 });
}

/** Fetches every shard to its end. */
export async function fetchAll(h: Harness, p: PlannedRun): Promise<void> {
  for (const [shard, n] of p.objects.entries()) {
    if (n === 0) await finishEmpty(h, p, shard);
    for (let seq = 0; seq < n; seq++) await advanceAfter(h, p, shard, seq);
  }
}

export function markLoaded(h: Harness, p: PlannedRun, shard: number, seq: number, etag = 'e'): Promise<void> {
  return h.store.markLoaded(p.runId, { key: keyOf(p.runId, shard, seq), etag, rows: ROWS_PER_OBJECT }, { shardId: shardIdOf(shard), seq });
}

/** Every (shard, seq) the run stages, shard by shard. */
export function objectsOf(p: PlannedRun): [number, number][] {
  return p.objects.flatMap((n, shard) => Array.from({ length: n }, (_, seq): [number, number] => [shard, seq]));
}

/** Clears the open-run pointer a failed scenario may leave, so the next one can open its run. */
export async function clearOpenRun(h: Harness): Promise<void> {
  await h.db.send(new DeleteCommand({ TableName: h.aws.table, Key: { pk: 'sync', sk: 'open-run' } }));
}
