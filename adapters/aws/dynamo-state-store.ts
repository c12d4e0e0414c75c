import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SourceName } from '#shared/sources/source.ts';
import type {
  HistoryStart,
  OwedSplit,
  LoadedObject,
  LoadHeartbeat,
  RunRecord,
  RunStatus,
  ShardProgress,
  ShardRecord,
  StagedPlace,
  StateStore,
  Watermark,
} from '#shared/ports/state.ts';
import { isConditionFailure, NEW_RUN_COUNTERS, SettledShards, splitRunCounters } from './settled-shards.ts';
import { toShard } from './shard-item.ts';
import { ShardSplits } from './shard-splits.ts';

/** Finished runs and their checkpoints expire from the table after this long. */
const RUN_RETENTION_SECONDS = 90 * 24 * 3600;

const key = {
  lease: (name: string) => ({ pk: `lease#${name}`, sk: 'lease' }),
  openRun: { pk: 'sync', sk: 'open-run' },
  heartbeat: { pk: 'sync', sk: 'load-heartbeat' },
  run: (runId: string) => ({ pk: `run#${runId}`, sk: 'run' }),
  shard: (runId: string, shardId: string) => ({ pk: `run#${runId}`, sk: `shard#${shardId}` }),
  loaded: (runId: string, objectKey: string) => ({ pk: `run#${runId}`, sk: `loaded#${objectKey}` }),
  watermark: (source: SourceName) => ({ pk: 'watermark', sk: source }),
  historyStart: (source: SourceName) => ({ pk: 'history-start', sk: source }),
};

/**
 * A single-table DynamoDB store (partition key `pk`, sort key `sk`, TTL on `expiresAt`).
 * The run item carries the run's counters (settled-shards.ts), so completion reads one item.
 */
export class DynamoStateStore implements StateStore {
  private readonly settled: SettledShards;
  private readonly splits: ShardSplits;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {
    this.settled = new SettledShards(db, table);
    this.splits = new ShardSplits(db, table, now);
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key.lease(name), owner, leaseUntil: now + ttlMs, expiresAt: Math.ceil((now + ttlMs) / 1000) + 3600 },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: key.lease(name),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  async getOpenRunId(): Promise<string | null> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key.openRun, ConsistentRead: true }));
    return (res.Item?.runId as string | undefined) ?? null;
  }

  async openRun(run: RunRecord): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key.openRun, runId: run.runId, openedAt: run.createdAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
    const { counters: _kept, ...plan } = run;
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...key.run(run.runId), ...plan, ...NEW_RUN_COUNTERS } }));
    return true;
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key.run(runId), ConsistentRead: true }));
    if (!res.Item) return null;
    const { counters, rest } = splitRunCounters(res.Item);
    const { pk: _pk, sk: _sk, expiresAt: _e, splitShards: _split, shardIdsIssued: _issued, ...run } = rest;
    return { ...(run as unknown as RunRecord), ...(counters ? { counters } : {}) };
  }

  async setRunStatus(runId: string, status: RunStatus): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: key.run(runId),
          UpdateExpression: 'SET #status = :status',
          ConditionExpression: 'attribute_exists(pk) AND #status <> :complete',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':complete': 'complete' },
        }),
      )
      .catch((err) => {
        if (!isConditionFailure(err)) throw err;
      });
  }

  async putShard(shard: ShardRecord): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key.shard(shard.runId, shard.shardId), ...shard },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  async getShard(runId: string, shardId: string): Promise<ShardRecord | null> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key.shard(runId, shardId), ConsistentRead: true }));
    return res.Item ? toShard(res.Item) : null;
  }

  async listShards(runId: string): Promise<ShardRecord[]> {
    const items = await this.queryPrefix(`run#${runId}`, 'shard#');
    return items.map(toShard);
  }

  async advanceShard(runId: string, shardId: string, expectedSeq: number, p: ShardProgress): Promise<boolean> {
    let shard: Record<string, unknown> | undefined;
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key.shard(runId, shardId),
          UpdateExpression: 'SET #cursor = :cursor, nextSeq = :next, done = :done, rowsStaged = :rows, updatedAt = :now',
          ConditionExpression: 'nextSeq = :expected AND done = :false',
          ExpressionAttributeNames: { '#cursor': 'cursor' },
          ExpressionAttributeValues: {
            ':cursor': p.cursor,
            ':next': p.nextSeq,
            ':done': p.done,
            ':rows': p.rowsStaged,
            ':now': this.now(),
            ':expected': expectedSeq,
            ':false': false,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      shard = res.Attributes;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
    // Only the write that finishes the shard can settle it here; loads settle it otherwise.
    if (p.done) await this.settled.countIfSettled(key.run(runId), shard);
    return true;
  }

  startShard = (runId: string, shardId: string) => this.splits.start(key.run(runId), key.shard(runId, shardId));
  requestSplit = (runId: string, shardId: string) => this.splits.request(key.shard(runId, shardId));
  issueShardId = (runId: string) => this.splits.issueId(key.run(runId));
  beginSplit = (runId: string, shardId: string, expectedSeq: number, keep: { spec: string; estimatedRows: number }, owed: OwedSplit) =>
    this.splits.begin(key.shard(runId, shardId), expectedSeq, keep, owed);
  addSplitShard = (shard: ShardRecord) => this.splits.add(key.run(shard.runId), key.shard(shard.runId, shard.shardId), shard);
  endSplit = (runId: string, shardId: string) => this.splits.end(key.shard(runId, shardId));

  async settleShard(runId: string, shardId: string): Promise<void> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key.shard(runId, shardId), ConsistentRead: true }));
    await this.settled.countIfSettled(key.run(runId), res.Item);
  }

  async isLoaded(runId: string, objectKey: string, etag: string): Promise<boolean> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key.loaded(runId, objectKey), ConsistentRead: true }));
    return res.Item?.etag === etag;
  }

  async markLoaded(runId: string, object: LoadedObject, place: StagedPlace): Promise<void> {
    // The shard first, the object's record last: a load that dies in between is not
    // recorded, so its redelivery loads again and repeats both writes (each idempotent).
    let shard: Record<string, unknown> | undefined;
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key.shard(runId, place.shardId),
          UpdateExpression: 'ADD loaded :seq',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':seq': new Set([place.seq]) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      shard = res.Attributes;
    } catch (err) {
      // No such shard (an object outside any planned run): only its own record is kept.
      if (!isConditionFailure(err)) throw err;
    }
    await this.settled.countIfSettled(key.run(runId), shard);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key.loaded(runId, object.key), ...object, loadedAt: this.now() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  async listLoaded(runId: string): Promise<Map<string, LoadedObject>> {
    const items = await this.queryPrefix(`run#${runId}`, 'loaded#');
    return new Map(items.map((i) => [i.key as string, { key: i.key as string, etag: i.etag as string, rows: i.rows as number }]));
  }

  async completeRun(run: RunRecord): Promise<boolean> {
    const closed = run.status !== 'complete' && (await this.closeRun(run));
    if (closed || run.status === 'complete') {
      await this.db
        .send(
          new DeleteCommand({
            TableName: this.table,
            Key: key.openRun,
            ConditionExpression: 'runId = :runId',
            ExpressionAttributeValues: { ':runId': run.runId },
          }),
        )
        .catch((err) => {
          if (!isConditionFailure(err)) throw err;
        });
    }
    return closed;
  }

  /** Watermarks first (idempotent, forward only), then the one conditional write that closes the run. */
  private async closeRun(run: RunRecord): Promise<boolean> {
    const now = this.now();
    for (const [source, plan] of Object.entries(run.sources) as [SourceName, RunRecord['sources'][SourceName]][]) {
      if (plan?.target == null) continue;
      await this.db
        .send(
          new PutCommand({
            TableName: this.table,
            Item: { ...key.watermark(source), value: plan.target, numeric: Number(plan.target), runId: run.runId, updatedAt: now },
            ConditionExpression: 'attribute_not_exists(pk) OR #numeric < :numeric',
            ExpressionAttributeNames: { '#numeric': 'numeric' },
            ExpressionAttributeValues: { ':numeric': Number(plan.target) },
          }),
        )
        .catch((err) => {
          if (!isConditionFailure(err)) throw err;
        });
    }
    // A run opened before counters existed was checked by listing; its close needs only the status.
    const settled = run.counters ? ' AND shardsSettled = :shards' : '';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key.run(run.runId),
          UpdateExpression: 'SET #status = :complete, completedAt = if_not_exists(completedAt, :now), expiresAt = :exp',
          ConditionExpression: `#status = :enqueued${settled}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':complete': 'complete',
            ':enqueued': 'enqueued',
            ':now': now,
            ':exp': Math.floor(now / 1000) + RUN_RETENTION_SECONDS,
            ...(run.counters ? { ':shards': run.shardCount } : {}),
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async getWatermarks(): Promise<Partial<Record<SourceName, Watermark>>> {
    const items = await this.queryPrefix('watermark', '');
    const out: Partial<Record<SourceName, Watermark>> = {};
    for (const i of items) {
      const source = i.sk as SourceName;
      out[source] = { source, value: i.value as string, runId: i.runId as string, updatedAt: i.updatedAt as number };
    }
    return out;
  }

  async recordHistoryStart(start: HistoryStart): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...key.historyStart(start.source), ...start, recordedAt: this.now() } }));
  }

  async getHistoryStarts(): Promise<Partial<Record<SourceName, HistoryStart>>> {
    const out: Partial<Record<SourceName, HistoryStart>> = {};
    for (const i of await this.queryPrefix('history-start', '')) {
      const source = i.sk as SourceName;
      out[source] = { source, watermark: i.watermark as string, since: i.since as string, runId: i.runId as string };
    }
    return out;
  }

  async recordLoad(at: number, newestFill: Partial<Record<SourceName, number>>): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key.heartbeat,
        UpdateExpression: 'SET lastLoadAt = :at',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
    for (const [source, ts] of Object.entries(newestFill)) {
      await this.db
        .send(
          new UpdateCommand({
            TableName: this.table,
            Key: key.heartbeat,
            UpdateExpression: 'SET #s = :ts',
            ConditionExpression: 'attribute_not_exists(#s) OR #s < :ts',
            ExpressionAttributeNames: { '#s': `newest_${source}` },
            ExpressionAttributeValues: { ':ts': ts },
          }),
        )
        .catch((err) => {
          if (!isConditionFailure(err)) throw err;
        });
    }
  }

  async getLoadHeartbeat(): Promise<LoadHeartbeat | null> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key.heartbeat, ConsistentRead: true }));
    if (!res.Item) return null;
    const newestFill: LoadHeartbeat['newestFill'] = {};
    for (const [k, v] of Object.entries(res.Item)) {
      if (k.startsWith('newest_')) newestFill[k.slice('newest_'.length) as SourceName] = v as number;
    }
    return { lastLoadAt: res.Item.lastLoadAt as number, newestFill };
  }

  private async queryPrefix(pk: string, skPrefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          ExpressionAttributeValues: skPrefix ? { ':pk': pk, ':prefix': skPrefix } : { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((res.Items ?? []) as Record<string, unknown>[]));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
