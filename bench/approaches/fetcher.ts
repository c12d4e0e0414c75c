import { createSubgraphSource } from '#shared/sources/subgraph/index.ts';
import { fetchShard } from '#shared/pipeline/fetcher.ts';
import type { ShardRecord, StateStore } from '#shared/ports/state.ts';
import type { BlobStore } from '#shared/ports/index.ts';
import { snapshot, since } from '#shared/telemetry/counters.ts';
import type { ApproachRequest, ApproachResult } from '#bench/lib/types.ts';

/**
 * One fetcher invocation on its own, for its memory: plans with the real
 * subgraph source, then runs fetchShard on the largest shard, with state and
 * staging kept in memory (staged bytes are counted and dropped).
 */
export async function fetcherOnly(req: ApproachRequest, onBaseline: () => void): Promise<ApproachResult> {
  const source = createSubgraphSource({ url: req.sources.subgraphUrl, timeoutMs: 30_000, maxRetries: 8 });
  const plan = await source.plan({ watermark: null });
  const largest = [...plan.shards].sort((a, b) => b.estimatedRows - a.estimatedRows)[0];
  if (!largest) throw new Error('the planner found no shard');
  let shard: ShardRecord = {
    runId: '20260101T000000Z-bench0',
    shardId: '00000',
    source: 'subgraph',
    spec: JSON.stringify(largest.spec),
    label: largest.label,
    estimatedRows: largest.estimatedRows,
    cursor: null,
    nextSeq: 0,
    done: false,
    rowsStaged: 0,
    updatedAt: Date.now(),
  };
  const state = {
    getShard: async () => shard,
    advanceShard: async (_run: string, _id: string, _seq: number, p: Partial<ShardRecord>) => {
      shard = { ...shard, ...p };
      return true;
    },
    getRun: async () => null,
  } as unknown as StateStore;
  let stagedBytes = 0;
  let objects = 0;
  const blobs: BlobStore = {
    put: async (_key, body) => {
      stagedBytes += body.length;
      objects++;
      return { etag: String(objects) };
    },
    get: async () => {
      throw new Error('not used');
    },
    exists: async () => false,
  };
  onBaseline();
  const before = snapshot();
  const started = Date.now();
  const outcome = await fetchShard(
    { state, blobs, shardQueue: { send: async () => undefined }, sources: { subgraph: source as never }, pagesPerObject: req.pagesPerObject ?? 20 },
    { runId: shard.runId, shardId: shard.shardId, source: 'subgraph', spec: largest.spec },
    () => 900_000,
  );
  const wallMs = Date.now() - started;
  const c = since(before);
  return {
    kind: 'fetcher',
    ok: outcome === 'done',
    reason: outcome === 'done' ? undefined : outcome,
    wallMs,
    fillsLoaded: c.FillsStaged,
    fillsInWarehouse: 0,
    clickhouseInserts: 0,
    clientRequests: c.SourceRequests,
    clientThrottled: c.SourceThrottled,
    extra: { shardLabel: largest.label, estimatedRows: largest.estimatedRows, objects, stagedBytes, pagesPerObject: req.pagesPerObject ?? 20 },
  };
}
