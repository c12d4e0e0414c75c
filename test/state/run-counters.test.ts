import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { closeRunIfFinished } from '#shared/pipeline/completion.ts';
import { completeRuns } from '#shared/pipeline/loader.ts';
import {
  advanceAfter,
  fetchAll,
  finishEmpty,
  legacyMarkLoaded,
  markLoaded,
  objectsOf,
  planLegacyRun,
  planRun,
  readsOf,
  startHarness,
  type Harness,
  type LoggedCall,
  type PlannedRun,
} from './support/run-fixture.ts';

/**
 * Completion reads the run item and nothing else, so a loader batch and a
 * fetcher's last checkpoint cost the same whatever the run's size. Before,
 * both listed every shard and every load record of the run.
 */
describe('run completion in constant work', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  /** What the table sees during `work`: command names in order, and the reads. */
  async function measure(work: () => Promise<unknown>): Promise<{ commands: string[]; reads: { calls: number; items: number }; calls: LoggedCall[] }> {
    const from = h.calls.length;
    await work();
    const calls = h.calls.slice(from);
    return { commands: calls.map((c) => c.command), reads: readsOf(calls), calls };
  }

  /** Fetches and loads the whole run but one object, then measures a batch, the last load's batch and a fetcher's finish. */
  async function costsFor(objects: number[]) {
    const p = await planRun(h, objects);
    await fetchAll(h, p);
    const all = objectsOf(p);
    const [lastShard, lastSeq] = all.at(-1)!;
    for (const [shard, seq] of all.slice(0, -1)) await markLoaded(h, p, shard, seq);
    const openBatch = await measure(() => completeRuns(h.store, [p.runId]));
    const closingBatch = await measure(async () => {
      await markLoaded(h, p, lastShard, lastSeq);
      await completeRuns(h.store, [p.runId]);
    });
    expect((await h.store.getRun(p.runId))?.status).toBe('complete');
    return { openBatch, closingBatch };
  }

  it('a loader batch reads one item, the run, for a run of 3 objects as for one of 1,000', async () => {
    const small = await costsFor([2, 1]);
    const { openBatch, closingBatch } = await costsFor(Array.from({ length: 200 }, () => 5));

    expect(openBatch.commands).toEqual(['GetItemCommand']);
    expect(openBatch.reads).toEqual({ calls: 1, items: 1 });
    expect(small.openBatch.commands).toEqual(openBatch.commands);

    // Recording the last load and closing: the same calls in both runs, whatever their size.
    expect(closingBatch.commands).toEqual(small.closingBatch.commands);
    expect(closingBatch.reads).toEqual(small.closingBatch.reads);
    expect(closingBatch.reads.calls).toBeLessThanOrEqual(1);
    expect(closingBatch.calls.some((c) => c.command === 'QueryCommand')).toBe(false);
  });

  it("a fetcher's last checkpoint and completion cost the same for a small and a large run", async () => {
    async function finishCost(objects: number[]) {
      const p = await planRun(h, objects);
      // Every object staged and loaded, every shard finished but shard 0, whose last checkpoint settles it and closes the run.
      for (const [shard, seq] of objectsOf(p)) {
        if (shard > 0 || seq < p.objects[0]! - 1) await advanceAfter(h, p, shard, seq);
        await markLoaded(h, p, shard, seq);
      }
      const cost = await measure(async () => {
        expect(await advanceAfter(h, p, 0, p.objects[0]! - 1)).toBe(true);
        expect(await closeRunIfFinished(h.store, p.runId)).toBe('closed');
      });
      return cost;
    }
    const small = await finishCost([3, 1]);
    const large = await finishCost(Array.from({ length: 150 }, () => 3));
    expect(large.commands).toEqual(small.commands);
    expect(large.reads).toEqual({ calls: 1, items: 1 });
  });

  it('the listing the old completion did grows with the run (what the counters replace)', async () => {
    async function legacyBatchReads(objects: number[]) {
      const p = await planLegacyRun(h, objects);
      await fetchAll(h, p);
      for (const [shard, seq] of objectsOf(p).slice(0, -1)) await legacyMarkLoaded(h, p, shard, seq);
      const { reads } = await measure(() => completeRuns(h.store, [p.runId]));
      const [shard, seq] = objectsOf(p).at(-1)!;
      await legacyMarkLoaded(h, p, shard, seq);
      await completeRuns(h.store, [p.runId]);
      return reads;
    }
    const small = await legacyBatchReads([2, 1]);
    const large = await legacyBatchReads(Array.from({ length: 200 }, () => 5));
    // The run, every shard, every load record.
    expect(small.items).toBe(1 + 2 + 2);
    expect(large.items).toBe(1 + 200 + 999);
  });
});

describe('a run opened by the version before counters', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  async function runItem(p: PlannedRun) {
    return (await h.db.send(new GetCommand({ TableName: h.aws.table, Key: { pk: `run#${p.runId}`, sk: 'run' }, ConsistentRead: true }))).Item!;
  }

  it('completes by listing, as before, after its last load, and is never given partial counters', async () => {
    const p = await planLegacyRun(h, [2, 0, 3]);
    // Half of it happened before the deploy: two shards fetched, some objects loaded by the old loader.
    await advanceAfter(h, p, 0, 0);
    await advanceAfter(h, p, 0, 1);
    await finishEmpty(h, p, 1);
    await legacyMarkLoaded(h, p, 0, 0);
    await legacyMarkLoaded(h, p, 0, 1);
    expect((await h.store.getRun(p.runId))?.counters).toBeUndefined();

    // The rest runs on this version: the fetcher finishes shard 2, the loader records its objects.
    for (let seq = 0; seq < 3; seq++) await advanceAfter(h, p, 2, seq);
    await markLoaded(h, p, 2, 0);
    await markLoaded(h, p, 2, 1);
    await completeRuns(h.store, [p.runId]);
    expect((await h.store.getRun(p.runId))?.status).toBe('enqueued');
    expect(await h.store.getWatermarks()).toEqual({});

    await markLoaded(h, p, 2, 2);
    await completeRuns(h.store, [p.runId]);
    const run = await h.store.getRun(p.runId);
    expect(run?.status).toBe('complete');
    expect(run?.counters).toBeUndefined();
    expect((await h.store.getWatermarks()).subgraph?.value).toBe(p.target);
    expect(await h.store.getOpenRunId()).toBeNull();
    // No counter attribute was started on the old item by an ADD.
    const item = await runItem(p);
    for (const attr of ['settledPrefix', 'settledAhead', 'shardsSettled', 'objectsSettled', 'rowsSettled']) expect(item[attr], attr).toBeUndefined();
  });

  it('a run planned after it has counters from the start', async () => {
    const p = await planRun(h, [1]);
    expect((await h.store.getRun(p.runId))?.counters).toEqual({ shardsSettled: 0, objectsSettled: 0, rowsSettled: 0 });
    expect(await runItem(p)).toMatchObject({ settledPrefix: 0 });
  });
});
