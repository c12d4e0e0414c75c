/**
 * How the run item counts settled shards with single-item conditional writes
 * (DynamoDB transactions would do it too, but the local emulator has none).
 *
 * A shard item knows whether its shard is settled: `done`, and every
 * sequence number below `nextSeq` in its `loaded` set (ADD to a set is
 * idempotent). Whoever writes the shard last (the loader recording the last
 * object, or the fetcher recording the end) sees it settled in the item its
 * write returns, and counts it on the run item:
 *
 *   ADD settledAhead {i}, shardsSettled 1, objectsSettled n, rowsSettled r
 *   IF settledPrefix <= i AND NOT contains(settledAhead, i)
 *
 * Shard i is counted exactly once: it is either below `settledPrefix` or in
 * `settledAhead` from then on, and the condition refuses both. A second
 * counter, a redelivered message, a racing loader: all fail the condition.
 * `settledAhead` is kept small by folding the indexes that follow the prefix
 * into it (SET settledPrefix = q DELETE settledAhead {p..q-1} IF
 * settledPrefix = p), a best-effort step that correctness does not need.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { RunCounters } from '#shared/ports/state.ts';

type Item = Record<string, unknown>;
type ItemKey = { pk: string; sk: string };

/** The run item's counter attributes as openRun writes them. */
export const NEW_RUN_COUNTERS = { settledPrefix: 0, shardsSettled: 0, objectsSettled: 0, rowsSettled: 0 } as const;

export function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

/** Splits a run item into its counters (absent on a run opened before they existed) and the rest. */
export function splitRunCounters(item: Item): { counters?: RunCounters; rest: Item } {
  const { settledPrefix, settledAhead: _ahead, shardsSettled, objectsSettled, rowsSettled, ...rest } = item;
  if (settledPrefix === undefined) return { rest };
  return {
    counters: { shardsSettled: shardsSettled as number, objectsSettled: objectsSettled as number, rowsSettled: rowsSettled as number },
    rest,
  };
}

/** Fetched to the end, and every object it staged recorded loaded (a seq past `nextSeq` is an orphan and does not matter). */
export function isSettled(shard: Item): boolean {
  if (shard.done !== true) return false;
  const loaded = shard.loaded as Set<number> | undefined;
  const staged = shard.nextSeq as number;
  for (let seq = 0; seq < staged; seq++) if (!loaded?.has(seq)) return false;
  return true;
}

/** The first index from `prefix` on that is not in `ahead`. */
export function contiguousEnd(prefix: number, ahead: ReadonlySet<number>): number {
  let end = prefix;
  while (ahead.has(end)) end++;
  return end;
}

export class SettledShards {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Counts the shard (as its item stands after a write) on its run, if settled and not counted yet. */
  async countIfSettled(runKey: ItemKey, shard: Item | undefined): Promise<void> {
    if (!shard || !isSettled(shard)) return;
    const index = Number(shard.shardId);
    let run: Item | undefined;
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: runKey,
          UpdateExpression: 'ADD settledAhead :index, shardsSettled :one, objectsSettled :objects, rowsSettled :rows',
          ConditionExpression: 'settledPrefix <= :i AND NOT contains(settledAhead, :i)',
          ExpressionAttributeValues: {
            ':index': new Set([index]),
            ':i': index,
            ':one': 1,
            ':objects': shard.nextSeq as number,
            ':rows': shard.rowsStaged as number,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      run = res.Attributes;
    } catch (err) {
      // Counted already, or a run opened before counters (no settledPrefix: the comparison fails).
      if (isConditionFailure(err)) return;
      throw err;
    }
    await this.fold(runKey, run);
  }

  /** Folds the indexes right after the prefix into it, so `settledAhead` holds only the shards settled out of order. */
  private async fold(runKey: ItemKey, run: Item | undefined): Promise<void> {
    const prefix = run?.settledPrefix as number | undefined;
    const ahead = run?.settledAhead as Set<number> | undefined;
    if (prefix === undefined || !ahead) return;
    const end = contiguousEnd(prefix, ahead);
    if (end === prefix) return;
    const folded = new Set(Array.from({ length: end - prefix }, (_, k) => prefix + k));
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: runKey,
          UpdateExpression: 'SET settledPrefix = :end DELETE settledAhead :folded',
          ConditionExpression: 'settledPrefix = :prefix',
          ExpressionAttributeValues: { ':end': end, ':folded': folded, ':prefix': prefix },
        }),
      )
      .catch((err) => {
        // Another writer folded first; the next count folds what is left.
        if (!isConditionFailure(err)) throw err;
      });
  }
}
