import { DEFAULT_PAGES_PER_OBJECT } from '#shared/config.ts';
import { createSubgraphSource } from '#shared/sources/subgraph/index.ts';
import { createMarketsSource } from '#shared/sources/markets/index.ts';
import type { AnySource } from '#shared/sources/source.ts';
import { fetchShard } from '#shared/pipeline/fetcher.ts';
import type { ShardRecord, StateStore } from '#shared/ports/state.ts';
import type { BlobStore } from '#shared/ports/index.ts';
import { snapshot, since } from '#shared/telemetry/counters.ts';
import type { ApproachRequest, ApproachResult } from '#bench/lib/types.ts';

/** The source a fetcher-alone run reads: the subgraph's fills, or the market list (CLOB). */
function sourceFor(req: ApproachRequest): { name: 'subgraph' | 'markets'; source: AnySource } {
  const http = { timeoutMs: 30_000, maxRetries: 8 };
  if (req.fetcherSource === 'markets') return { name: 'markets', source: createMarketsSource({ ...http, url: req.sources.marketsUrl }) as AnySource };
  return { name: 'subgraph', source: createSubgraphSource({ ...http, url: req.sources.subgraphUrl }) as AnySource };
}

/**
 * One fetcher invocation on its own, for its memory: plans with the real
 * source, then runs fetchShard on the largest shard, with state and staging
 * kept in memory (staged bytes are counted and dropped). The parent runs it
 * under the deployed heap cap and PAGES_PER_OBJECT.
 */
export async function fetcherOnly(req: ApproachRequest, onBaseline: () => void): Promise<ApproachResult> {
  const { name, source } = sourceFor(req);
  const plan = await source.plan({ watermark: null });
  const largest = [...plan.shards].sort((a, b) => b.estimatedRows - a.estimatedRows)[0];
  if (!largest) throw new Error('the planner found no shard');
  let shard: ShardRecord = {
    runId: '20260101T000000Z-bench0',
    shardId: '00000',
    source: name,
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
    { state, blobs, shardQueue: { send: async () => undefined }, sources: { [name]: source }, pagesPerObject: req.pagesPerObject ?? DEFAULT_PAGES_PER_OBJECT },
    { runId: shard.runId, shardId: shard.shardId, source: name, spec: largest.spec },
    () => 900_000,
  );
  const wallMs = Date.now() - started;
  const c = since(before);
  return {
    kind: 'fetcher',
    ok: outcome === 'done',
    reason: outcome === 'done' ? undefined : outcome,
    wallMs,
    // Rows of any kind (fills, markets, rejects) the invocation staged.
    fillsLoaded: shard.rowsStaged,
    fillsInWarehouse: 0,
    clickhouseInserts: 0,
    clientRequests: c.SourceRequests,
    clientThrottled: c.SourceThrottled,
    extra: {
      source: name,
      shardLabel: largest.label,
      estimatedRows: largest.estimatedRows,
      objects,
      stagedBytes,
      pagesPerObject: req.pagesPerObject ?? DEFAULT_PAGES_PER_OBJECT,
    },
  };
}
