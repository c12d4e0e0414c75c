import type { SourceName } from '#shared/sources/source.ts';
import type { OwedSplit, ShardRecord } from '#shared/ports/state.ts';

/** A shard item as the store returns it, without the table's own attributes (keys, the loaded set). */
export function toShard(item: Record<string, unknown>): ShardRecord {
  return {
    runId: item.runId as string,
    shardId: item.shardId as string,
    source: item.source as SourceName,
    spec: item.spec as string,
    label: item.label as string,
    estimatedRows: item.estimatedRows as number,
    cursor: (item.cursor as string | null) ?? null,
    nextSeq: item.nextSeq as number,
    done: item.done as boolean,
    rowsStaged: item.rowsStaged as number,
    updatedAt: item.updatedAt as number,
    ...(typeof item.startedAt === 'number' ? { startedAt: item.startedAt } : {}),
    ...(item.splitWanted === true ? { splitWanted: true } : {}),
    ...(item.owedSplit ? { owedSplit: item.owedSplit as OwedSplit } : {}),
  };
}
