import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { closeRunIfFinished, type RunClosing } from '#shared/pipeline/completion.ts';
import { fetchShard } from '#shared/pipeline/fetcher.ts';
import type { BlobStore, ShardQueue } from '#shared/ports/index.ts';
import type { AnySource } from '#shared/sources/source.ts';
import {
  advanceAfter,
  clearOpenRun,
  DyingCall,
  finishEmpty,
  keyOf,
  markLoaded,
  objectsOf,
  planRun,
  ROWS_PER_OBJECT,
  shardIdAt,
  startHarness,
  type Harness,
  type PlannedRun,
} from './support/run-fixture.ts';

/**
 * Invariant: a run closes exactly once, after its last load, and its
 * watermark never moves before that, whatever is delivered twice, races,
 * or dies between two writes.
 */
describe('a run closes exactly once, after its last load', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function expectOpen(p: PlannedRun, label: string) {
    expect((await h.store.getRun(p.runId))?.status, label).toBe('enqueued');
    expect((await h.store.getWatermarks()).subgraph?.runId, label).not.toBe(p.runId);
    expect(await h.store.getOpenRunId(), label).toBe(p.runId);
  }

  async function expectClosed(p: PlannedRun) {
    const run = await h.store.getRun(p.runId);
    expect(run?.status).toBe('complete');
    const objects = p.objects.reduce((a, b) => a + b, 0);
    expect(run?.counters).toEqual({ shardsSettled: p.objects.length, objectsSettled: objects, rowsSettled: objects * ROWS_PER_OBJECT });
    const watermark = (await h.store.getWatermarks()).subgraph;
    expect(watermark?.value).toBe(p.target);
    expect(watermark?.runId).toBe(p.runId);
    expect(await h.store.getOpenRunId()).toBeNull();
  }

  const closings = (results: RunClosing[]) => results.filter((r) => r === 'closed').length;
  let target = 1_700_000_000;
  const nextTarget = () => String(++target);

  it('every message delivered three times at once, with loaders and fetchers racing: one close', async () => {
    const p = await planRun(h, [3, 0, 2, 4, 1, 0, 3, 2], nextTarget());
    const results: RunClosing[] = [];
    const complete = async () => results.push(await closeRunIfFinished(h.store, p.runId));
    // A fetcher per shard (each checkpoint delivered three times at once: one wins), loads as soon as staged.
    const loads: Promise<void>[] = [];
    const fetchers = p.objects.map(async (n, shard) => {
      if (n === 0) {
        await Promise.all([1, 2, 3].map(() => finishEmpty(h, p, shard)));
        return complete();
      }
      for (let seq = 0; seq < n; seq++) {
        // The object is in S3 before its checkpoint: its three notifications may be loaded before or after it.
        loads.push(
          ...[1, 2, 3].map(async () => {
            await markLoaded(h, p, shard, seq);
            await complete();
          }),
        );
        const won = await Promise.all([1, 2, 3].map(() => advanceAfter(h, p, shard, seq)));
        expect(won.filter(Boolean)).toHaveLength(1);
      }
      await complete();
    });
    await Promise.all(fetchers);
    await Promise.all(loads);
    await Promise.all([1, 2, 3, 4].map(complete));
    expect(closings(results)).toBe(1);
    await expectClosed(p);
    await redeliverEverything(p);
  });

  it('every load delivered three times at once after the fetch finished: one close', async () => {
    const p = await planRun(h, [2, 1, 0, 3, 1], nextTarget());
    for (const [shard, n] of p.objects.entries()) {
      if (n === 0) await finishEmpty(h, p, shard);
      for (let seq = 0; seq < n; seq++) await advanceAfter(h, p, shard, seq);
    }
    const results: RunClosing[] = [];
    await Promise.all(
      objectsOf(p).flatMap(([shard, seq]) =>
        [1, 2, 3].map(async () => {
          await markLoaded(h, p, shard, seq);
          results.push(await closeRunIfFinished(h.store, p.runId));
        }),
      ),
    );
    expect(closings(results)).toBe(1);
    await expectClosed(p);
    await redeliverEverything(p);
  });

  /** After the close: every load, every shard's count and every completion check again, at once. Nothing changes. */
  async function redeliverEverything(p: PlannedRun) {
    const results = await Promise.all([
      ...objectsOf(p).map(async ([shard, seq]) => {
        await markLoaded(h, p, shard, seq);
        return closeRunIfFinished(h.store, p.runId);
      }),
      ...p.objects.map(async (_, shard) => {
        await h.store.settleShard(p.runId, shardIdAt(shard));
        return closeRunIfFinished(h.store, p.runId);
      }),
    ]);
    expect(new Set(results)).toEqual(new Set(['complete']));
    await expectClosed(p);
  }

  it('random orders of checkpoints, loads, duplicates, re-staged and orphan objects: closes once, only after the last load', async () => {
    const shardsArb = fc.array(fc.record({ objects: fc.nat({ max: 3 }), orphan: fc.boolean(), restaged: fc.boolean() }), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        shardsArb,
        fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 40, maxLength: 40 }),
        async (shards, priorities, copies) => {
          await clearOpenRun(h);
          const p = await planRun(
            h,
            shards.map((s) => s.objects),
            nextTarget(),
          );
          const steps: { step: Step; after?: number }[] = [];
          shards.forEach((s, shard) => {
            if (s.objects === 0) steps.push({ step: { kind: 'advance', shard, seq: -1 } });
            let previous: number | undefined;
            for (let seq = 0; seq < s.objects; seq++) {
              // Checkpoint seq follows checkpoint seq-1; object seq is in S3 (and may load) once its fetch started.
              steps.push({ step: { kind: 'load', shard, seq, etag: 'first' }, after: previous });
              // Re-staged after a crash: the same key again, another ETag.
              if (s.restaged) steps.push({ step: { kind: 'load', shard, seq, etag: 'second' }, after: previous });
              previous = steps.push({ step: { kind: 'advance', shard, seq }, after: previous }) - 1;
            }
            if (s.orphan) steps.push({ step: { kind: 'orphan', shard, seq: s.objects } });
          });
          const order = schedule(steps, priorities);
          const results: RunClosing[] = [];
          for (const [n, i] of order.entries()) {
            const { step } = steps[i]!;
            const times = copies[n % copies.length]!;
            await Promise.all(
              Array.from({ length: times }, async () => {
                if (step.kind === 'advance') await (step.seq < 0 ? finishEmpty(h, p, step.shard) : advanceAfter(h, p, step.shard, step.seq));
                else await markLoaded(h, p, step.shard, step.seq, step.kind === 'load' ? step.etag : 'orphan');
              }),
            );
            results.push(...(await Promise.all([closeRunIfFinished(h.store, p.runId), closeRunIfFinished(h.store, p.runId)])));
            // Open until every checkpoint and one load of every staged object happened.
            const loadedAll = objectsOf(p).every(([shard, seq]) => order.slice(0, n + 1).some((j) => isLoadOf(steps[j]!.step, shard, seq)));
            const fetchedAll = !steps.some((s, j) => s.step.kind === 'advance' && !order.slice(0, n + 1).includes(j));
            if (!(loadedAll && fetchedAll)) await expectOpen(p, `after step ${n} (${JSON.stringify(step)})`);
          }
          expect(closings(results)).toBe(1);
          await expectClosed(p);
        },
      ),
      { numRuns: 25 },
    );
  });

  function isLoadOf(step: Step, shard: number, seq: number): boolean {
    return step.kind === 'load' && step.shard === shard && step.seq === seq;
  }

  it('a loader that dies between recording on the shard and counting on the run: its redelivery counts once', async () => {
    for (const when of ['before', 'after'] as const) {
      const p = await planRun(h, [2, 1], nextTarget());
      await advanceAfter(h, p, 0, 0);
      await advanceAfter(h, p, 0, 1);
      await advanceAfter(h, p, 1, 0);
      await markLoaded(h, p, 0, 0);
      await markLoaded(h, p, 1, 0);
      h.failOnce({ when, matches: (command, input) => command === 'UpdateItemCommand' && String(input.UpdateExpression).startsWith('ADD settledAhead') });
      await expect(markLoaded(h, p, 0, 1)).rejects.toThrow(DyingCall);
      // The load record comes last, so the redelivery is not skipped: it loads again and records again.
      expect(await h.store.isLoaded(p.runId, keyOf(p.runId, 0, 1), 'e')).toBe(false);
      // Died before the count reached the table: open until the redelivery. After: the rows are in and the run may close.
      expect(await closeRunIfFinished(h.store, p.runId)).toBe(when === 'before' ? 'open' : 'closed');
      await markLoaded(h, p, 0, 1);
      expect(await closeRunIfFinished(h.store, p.runId)).toBe(when === 'before' ? 'closed' : 'complete');
      await expectClosed(p);
    }
  });

  it('a fetcher that dies after its last checkpoint, before counting the shard: the redelivered message settles it and closes the run', async () => {
    for (const when of ['before', 'after'] as const) {
      const p = await planRun(h, [1, 2], nextTarget());
      await advanceAfter(h, p, 0, 0);
      await advanceAfter(h, p, 1, 0);
      for (const [shard, seq] of objectsOf(p)) await markLoaded(h, p, shard, seq);
      h.failOnce({ when, matches: (command, input) => command === 'UpdateItemCommand' && String(input.UpdateExpression).startsWith('ADD settledAhead') });
      await expect(advanceAfter(h, p, 1, 1)).rejects.toThrow(DyingCall);
      await expectOpen(p, `fetcher died ${when} counting`);
      const outcome = await fetchShard(fetcherDeps(), { runId: p.runId, shardId: shardIdAt(1), source: 'subgraph', spec: {} }, () => 900_000);
      expect(outcome).toBe('already-done');
      await expectClosed(p);
    }
  });

  it('a closer that dies before clearing the open-run pointer: the next completion check clears it, and nothing closes twice', async () => {
    const p = await planRun(h, [1], nextTarget());
    await advanceAfter(h, p, 0, 0);
    h.failOnce({ when: 'before', matches: (command, input) => command === 'DeleteItemCommand' && JSON.stringify(input.Key).includes('open-run') });
    await expect(markLoaded(h, p, 0, 0).then(() => closeRunIfFinished(h.store, p.runId))).rejects.toThrow(DyingCall);
    expect(await h.store.getOpenRunId()).toBe(p.runId);
    expect(await closeRunIfFinished(h.store, p.runId)).toBe('complete');
    await expectClosed(p);
  });

  function fetcherDeps() {
    const unused = <T extends object>(what: string) =>
      new Proxy({} as T, {
        get: () => {
          throw new Error(`the fetcher of a finished shard used ${what}`);
        },
      });
    return {
      state: h.store,
      blobs: unused<BlobStore>('the blob store'),
      shardQueue: unused<ShardQueue>('the shard queue'),
      sources: { subgraph: unused<AnySource>('the source') },
      pagesPerObject: 1,
    };
  }
});

type Step =
  | { kind: 'advance'; shard: number; seq: number }
  | { kind: 'load'; shard: number; seq: number; etag: string }
  /** An object a fetcher staged before it died, past where the shard ends after the re-fetch. */
  | { kind: 'orphan'; shard: number; seq: number };

/** A random order of the steps that keeps each step after the one it waits for. */
function schedule(steps: readonly { after?: number }[], priorities: readonly number[]): number[] {
  const done = new Set<number>();
  const order: number[] = [];
  const pending = steps.map((_, i) => i).sort((a, b) => priorities[a % priorities.length]! - priorities[b % priorities.length]! || a - b);
  while (pending.length > 0) {
    const at = pending.findIndex((i) => steps[i]!.after === undefined || done.has(steps[i]!.after!));
    const [next] = pending.splice(at, 1);
    done.add(next!);
    order.push(next!);
  }
  return order;
}
