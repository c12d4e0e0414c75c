import { DEFAULT_PAGES_PER_OBJECT } from '#shared/config.ts';
import { createSubgraphSource } from '#shared/sources/subgraph/index.ts';
import { createMarketsSource } from '#shared/sources/markets/index.ts';
import type { AnySource } from '#shared/sources/source.ts';
import { fetchShard } from '#shared/pipeline/fetcher.ts';
import { newShardRecord } from '#shared/pipeline/planner.ts';
import { QUEUE_SETTINGS } from '#shared/pipeline/queue-settings.ts';
import { parseStagedKey } from '#shared/pipeline/messages.ts';
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
 * source, then runs fetchShard on the largest shards side by side, as many as
 * an invocation takes (QUEUE_SETTINGS.fetcherBatchSize), with state and
 * staging kept in memory (staged bytes are counted and dropped). The parent
 * runs it under the deployed heap cap and PAGES_PER_OBJECT.
 */
export async function fetcherOnly(req: ApproachRequest, onBaseline: () => void): Promise<ApproachResult> {
  const { name, source } = sourceFor(req);
  const plan = await source.plan({ watermark: null });
  const largest = [...plan.shards].sort((a, b) => b.estimatedRows - a.estimatedRows).slice(0, QUEUE_SETTINGS.fetcherBatchSize);
  if (largest.length === 0) throw new Error('the planner found no shard');
  const runId = '20260101T000000Z-000be7'; // the staged-key pattern's shape: the keys name their shard
  const shards = new Map<string, ShardRecord>(
    largest.map((planned, i) => {
      const shardId = String(i).padStart(5, '0');
      return [shardId, newShardRecord(runId, shardId, name, planned, Date.now())];
    }),
  );
  const state = {
    getShard: async (_run: string, id: string) => shards.get(id) ?? null,
    advanceShard: async (_run: string, id: string, _seq: number, p: Partial<ShardRecord>) => {
      shards.set(id, { ...shards.get(id)!, ...p });
      return true;
    },
    getRun: async () => null,
    // One invocation alone: no other fetcher to take half of a shard, so none is asked to split.
    listShards: async () => [],
    startShard: async () => undefined,
  } as unknown as StateStore;
  let stagedBytes = 0;
  let objects = 0;
  const objectsOfShard = new Map<string, number>();
  const blobs: BlobStore = {
    put: async (key, body) => {
      stagedBytes += body.length;
      objects++;
      const shardId = parseStagedKey(key)?.shardId ?? '?';
      objectsOfShard.set(shardId, (objectsOfShard.get(shardId) ?? 0) + 1);
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
  const deps = {
    state,
    blobs,
    shardQueue: { send: async () => undefined },
    sources: { [name]: source },
    pagesPerObject: req.pagesPerObject ?? DEFAULT_PAGES_PER_OBJECT,
  };
  const outcomes = await Promise.all(
    [...shards.values()].map((shard, i) => fetchShard(deps, { runId, shardId: shard.shardId, source: name, spec: largest[i]!.spec }, () => 900_000)),
  );
  const wallMs = Date.now() - started;
  const c = since(before);
  const notDone = outcomes.filter((o) => o !== 'done');
  return {
    kind: 'fetcher',
    ok: notDone.length === 0,
    reason: notDone.length === 0 ? undefined : notDone.join(', '),
    wallMs,
    // Rows of any kind (fills, markets, rejects) the invocation staged.
    fillsLoaded: [...shards.values()].reduce((n, s) => n + s.rowsStaged, 0),
    fillsInWarehouse: 0,
    clickhouseInserts: 0,
    clientRequests: c.SourceRequests,
    clientThrottled: c.SourceThrottled,
    extra: {
      source: name,
      shards: largest.length,
      shardLabel: largest.map((s) => s.label).join(' + '),
      estimatedRows: largest.reduce((n, s) => n + s.estimatedRows, 0),
      objects,
      /** The peak is the steady state only if every shard filled at least two objects. */
      fewestObjectsOfAShard: Math.min(...[...shards.keys()].map((id) => objectsOfShard.get(id) ?? 0)),
      stagedBytes,
      pagesPerObject: req.pagesPerObject ?? DEFAULT_PAGES_PER_OBJECT,
    },
  };
}
