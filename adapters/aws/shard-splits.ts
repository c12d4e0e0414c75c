/**
 * The state writes of a shard split (pipeline/shard-split.ts), each one
 * conditional single-item write, so that any of them can be repeated after
 * a crash:
 *
 * - a fetcher that takes a shard stamps `startedAt` on it, then counts it in
 *   the run's `shardsStarted` (only the write that stamped it counts);
 * - the request is a flag on the shard item, set only while the shard is
 *   running and not already asked;
 * - new shard ids come from `shardIdsIssued` on the run item, which starts at
 *   the planned shard count; an id issued and never used is only a gap;
 * - the owner narrows its spec and records the shard it owes in one write;
 * - the new shard is counted in the run's `shardCount` once: its index joins
 *   `splitShards`, and the count moves only while it is not there yet.
 *
 * Until the new shard is counted its owner is not done, so the run cannot be
 * settled and closed without it.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OwedSplit, ShardRecord } from '#shared/ports/state.ts';
import { isConditionFailure } from './settled-shards.ts';

type ItemKey = { pk: string; sk: string };

export class ShardSplits {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number,
  ) {}

  async start(runKey: ItemKey, shardKey: ItemKey): Promise<void> {
    const stamped = await this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: shardKey,
        UpdateExpression: 'SET startedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(startedAt)',
        ExpressionAttributeValues: { ':now': this.now() },
      }),
    );
    // Dying between the two writes leaves the count short: splits are then never asked in this run, nothing worse.
    if (stamped)
      await this.db.send(
        new UpdateCommand({ TableName: this.table, Key: runKey, UpdateExpression: 'ADD shardsStarted :one', ExpressionAttributeValues: { ':one': 1 } }),
      );
  }

  async request(shardKey: ItemKey): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: shardKey,
        UpdateExpression: 'SET splitWanted = :true',
        ConditionExpression: 'attribute_exists(pk) AND done = :false AND attribute_not_exists(splitWanted) AND attribute_not_exists(owedSplit)',
        ExpressionAttributeValues: { ':true': true, ':false': false },
      }),
    );
  }

  async issueId(runKey: ItemKey): Promise<string> {
    for (;;) {
      const res = await this.db.send(new GetCommand({ TableName: this.table, Key: runKey, ConsistentRead: true }));
      if (!res.Item) throw new Error(`no run item ${runKey.pk}: cannot issue a shard id`);
      const issued = (res.Item.shardIdsIssued as number | undefined) ?? (res.Item.shardCount as number);
      const took = await this.conditional(
        new UpdateCommand({
          TableName: this.table,
          Key: runKey,
          UpdateExpression: 'SET shardIdsIssued = :next',
          ConditionExpression: 'attribute_not_exists(shardIdsIssued) OR shardIdsIssued = :issued',
          ExpressionAttributeValues: { ':next': issued + 1, ':issued': issued },
        }),
      );
      if (took) return String(issued).padStart(5, '0');
    }
  }

  async begin(shardKey: ItemKey, expectedSeq: number, keep: { spec: string; estimatedRows: number }, owed: OwedSplit): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: shardKey,
        UpdateExpression: 'SET spec = :spec, estimatedRows = :rows, owedSplit = :owed, updatedAt = :now REMOVE splitWanted',
        ConditionExpression: 'nextSeq = :expected AND done = :false AND attribute_not_exists(owedSplit)',
        ExpressionAttributeValues: {
          ':spec': keep.spec,
          ':rows': keep.estimatedRows,
          ':owed': owed,
          ':now': this.now(),
          ':expected': expectedSeq,
          ':false': false,
        },
      }),
    );
  }

  async add(runKey: ItemKey, shardKey: ItemKey, shard: ShardRecord): Promise<void> {
    await this.conditional(new PutCommand({ TableName: this.table, Item: { ...shardKey, ...shard }, ConditionExpression: 'attribute_not_exists(pk)' }));
    const index = Number(shard.shardId);
    await this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: runKey,
        UpdateExpression: 'ADD splitShards :index, shardCount :one',
        ConditionExpression: 'attribute_exists(pk) AND NOT contains(splitShards, :i)',
        ExpressionAttributeValues: { ':index': new Set([index]), ':i': index, ':one': 1 },
      }),
    );
  }

  async end(shardKey: ItemKey): Promise<void> {
    await this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: shardKey,
        UpdateExpression: 'REMOVE splitWanted, owedSplit',
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  }

  /** True when the write happened, false when its condition refused it. */
  private async conditional(command: UpdateCommand | PutCommand): Promise<boolean> {
    try {
      await this.db.send(command as UpdateCommand);
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}
