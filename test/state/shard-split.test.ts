import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { closeRunIfFinished } from '#shared/pipeline/completion.ts';
import { fetchShard, type FetcherDeps } from '#shared/pipeline/fetcher.ts';
import { parseStagedKey, type ShardMessage } from '#shared/pipeline/messages.ts';
import { newRunId, shardIdOf } from '#shared/pipeline/run-ids.ts';
import type { RunRecord } from '#shared/ports/state.ts';
import type { AnySource, ShardDivision } from '#shared/sources/source.ts';
import { readStagedV2 } from '#shared/staging/format-v2.ts';
import { clearOpenRun, DyingCall, startHarness, type Harness } from './support/run-fixture.ts';

/**
 * At a run's end an idle fetcher takes half of a running shard: the shard's
 * own fetcher splits it at a checkpoint. Driven through the real fetcher and
 * the real DynamoStateStore (on dynalite), with a source of numbered items
 * (each item one staged record), so every item staged can be counted: each
 * exactly once, whatever dies between the split's writes.
 */

const PAGE = 5;
type Spec = { from: number; to: number };
type Cursor = { next: number };

/** Items from..to, PAGE a page; `hold(first)` may keep a page waiting. Divides its rest in whole pages, from 4 pages left. */
function numberedSource(hold: (first: number) => Promise<void>): AnySource {
  const source = {
    name: 'subgraph' as const,
    specSchema: z.object({ from: z.number(), to: z.number() }),
    cursorSchema: z.object({ next: z.number() }),
    plan: () => Promise.resolve({ shards: [], target: null }),
    async fetchPage(spec: Spec, cursor: Cursor | null) {
      const first = cursor?.next ?? spec.from;
      await hold(first);
      const last = Math.min(spec.to, first + PAGE - 1);
      const records = Array.from({ length: last - first + 1 }, (_, i) => ({
        table: 'chain_coverage' as const,
        row: { from_block: first + i, to_block: first + i },
      }));
      return { records, next: last >= spec.to ? null : { next: last + 1 } };
    },
    divideRest(spec: Spec, cursor: Cursor | null): ShardDivision<Spec> | null {
      const first = cursor?.next ?? spec.from;
      const pages = Math.ceil((spec.to - first + 1) / PAGE);
      if (pages < 4) return null;
      const restFrom = first + Math.floor(pages / 2) * PAGE;
      return {
        keep: { ...spec, to: restFrom - 1 },
        rest: { spec: { from: restFrom, to: spec.to }, label: `items ${restFrom}..${spec.to}` },
        restShare: (spec.to - restFrom + 1) / (spec.to - first + 1),
      };
    },
  };
  return source as unknown as AnySource;
}

/** A gate a page can wait on, and a signal that a page reached it. */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const wasReached = new Promise<void>((r) => (reached = r));
  return { open, opened, reached, wasReached };
}

describe('an idle fetcher takes half of a running shard', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** A run of the given item ranges, one shard each, with the pipeline's fetcher wired to in-memory blobs and queue. */
  async function scenario(ranges: Spec[], hold: (first: number) => Promise<void> = () => Promise.resolve(), pagesPerObject = 1) {
    await clearOpenRun(h);
    const runId = newRunId(Date.now());
    const objects = new Map<string, Buffer>();
    const queued: ShardMessage[] = [];
    for (const [i, range] of ranges.entries()) {
      await h.store.putShard({
        runId,
        shardId: shardIdOf(i),
        source: 'subgraph',
        spec: JSON.stringify(range),
        label: `items ${range.from}..${range.to}`,
        estimatedRows: range.to - range.from + 1,
        cursor: null,
        nextSeq: 0,
        done: false,
        rowsStaged: 0,
        updatedAt: 0,
      });
    }
    const run: RunRecord = {
      runId,
      status: 'planning',
      createdAt: Date.now(),
      sources: { subgraph: { target: '1', shards: ranges.length, estimatedRows: 0 } },
      shardCount: ranges.length,
    };
    expect(await h.store.openRun(run)).toBe(true);
    await h.store.setRunStatus(runId, 'enqueued');
    const deps: FetcherDeps = {
      state: h.store,
      blobs: {
        put: (key: string, body: Buffer) => {
          objects.set(key, body);
          return Promise.resolve({ etag: `"${key}"` });
        },
      } as unknown as FetcherDeps['blobs'],
      shardQueue: {
        send: (messages: ShardMessage[]) => {
          queued.push(...messages);
          return Promise.resolve();
        },
      },
      sources: { subgraph: numberedSource(hold) },
      pagesPerObject,
    };
    const message = (i: number): ShardMessage => ({ runId, shardId: shardIdOf(i), source: 'subgraph', spec: ranges[i] });
    const fetch = (m: ShardMessage) => fetchShard(deps, m, () => 900_000);
    /** Every staged object recorded loaded, as the loader would; then the completion check. */
    const loadAll = async () => {
      for (const key of objects.keys()) {
        const place = parseStagedKey(key)!;
        await h.store.markLoaded(runId, { key, etag: `"${key}"`, rows: 1 }, { shardId: place.shardId, seq: place.seq });
      }
      return closeRunIfFinished(h.store, runId);
    };
    /** Every item staged, in key order, from the objects themselves. */
    const stagedItems = async () => {
      const items: number[] = [];
      for (const body of objects.values()) {
        for await (const item of readStagedV2(Readable.from([body]), { fillSuffix: Buffer.alloc(0), cutEvery: 1_000, v1ChainTransactions: new Set() })) {
          if (item.kind === 'record' && item.table === 'chain_coverage') items.push((JSON.parse(item.rowJson) as { from_block: number }).from_block);
        }
      }
      return items.sort((a, b) => a - b);
    };
    return { runId, queued, objects, message, fetch, loadAll, stagedItems };
  }

  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  /**
   * Shard 0 (the first range) starts and is held as it asks for its page at item 10, having staged
   * items 0..9; meanwhile shard 1 is fetched to its end. `release` lets shard 0 go on.
   */
  async function whileShardZeroIsHeld(ranges: Spec[], pagesPerObject = 1) {
    const held = gate();
    const s = await scenario(
      ranges,
      async (first) => {
        if (first !== 10) return;
        held.reached();
        await held.opened;
      },
      pagesPerObject,
    );
    const long = s.fetch(s.message(0));
    await held.wasReached;
    const shortOutcome = await s.fetch(s.message(1));
    return { s, long, shortOutcome, release: held.open };
  }

  it('a fetcher that finishes while a long shard runs asks it to split; the long shard keeps half and a new shard reads the rest, every item once', async () => {
    const { s, long, shortOutcome, release } = await whileShardZeroIsHeld([
      { from: 0, to: 99 },
      { from: 1_000, to: 1_004 },
    ]);
    expect(shortOutcome).toBe('done');
    expect((await h.store.getShard(s.runId, shardIdOf(0)))?.splitWanted).toBe(true);
    release();
    expect(await long).toBe('done');

    // At its next checkpoint (85 items left, 17 pages) the long shard kept 8 pages and gave the other 9 away.
    const owner = await h.store.getShard(s.runId, shardIdOf(0));
    expect(JSON.parse(owner!.spec)).toEqual({ from: 0, to: 54 });
    expect(owner?.splitWanted).toBeUndefined();
    expect(owner?.owedSplit).toBeUndefined();
    expect(s.queued).toEqual([{ runId: s.runId, shardId: '00002', source: 'subgraph', spec: { from: 55, to: 99 } }]);
    const added = await h.store.getShard(s.runId, '00002');
    expect(added).toMatchObject({ label: 'items 55..99', estimatedRows: 45, done: false, cursor: null });
    expect((await h.store.getRun(s.runId))?.shardCount).toBe(3);

    // The run cannot close before the new shard is read, even with everything staged so far loaded.
    expect(await s.loadAll()).toBe('open');
    expect(await s.fetch(s.queued[0]!)).toBe('done');
    expect(await s.loadAll()).toBe('closed');
    expect(await s.stagedItems()).toEqual([...range(0, 99), ...range(1_000, 1_004)]);
    expect((await h.store.getRun(s.runId))?.counters?.shardsSettled).toBe(3);
  });

  it('a shard read as one staged object splits too: asked mid-object, its fetcher ends the object after the page it reads', async () => {
    const { s, long, shortOutcome, release } = await whileShardZeroIsHeld(
      [
        { from: 0, to: 99 },
        { from: 1_000, to: 1_004 },
      ],
      20,
    );
    expect((await h.store.getShard(s.runId, shardIdOf(0)))?.startedAt).toBeTypeOf('number');
    expect(shortOutcome).toBe('done');
    release();
    expect(await long).toBe('done');
    // The object ends after page 10 or 15 (whichever page's end first sees the request); the rest is divided there.
    expect(s.queued).toHaveLength(1);
    const rest = s.queued[0]!.spec as Spec;
    expect([55, 60]).toContain(rest.from);
    expect(rest.to).toBe(99);
    expect(JSON.parse((await h.store.getShard(s.runId, shardIdOf(0)))!.spec)).toEqual({ from: 0, to: rest.from - 1 });
    expect([...s.objects.keys()].filter((k) => parseStagedKey(k)?.shardId === '00000')).toHaveLength(2);
    expect(await s.fetch(s.queued[0]!)).toBe('done');
    expect(await s.loadAll()).toBe('closed');
    expect(await s.stagedItems()).toEqual([...range(0, 99), ...range(1_000, 1_004)]);
  });

  const crashPoints: { point: string; matches: (command: string, input: Record<string, unknown>) => boolean }[] = [
    {
      point: 'after the owner recorded the split it owes',
      matches: (c, i) => c === 'UpdateItemCommand' && String(i.UpdateExpression).includes('owedSplit = :owed'),
    },
    { point: 'after the new shard was recorded', matches: (c, i) => c === 'PutItemCommand' && JSON.stringify(i.Item).includes('shard#00002') },
    { point: 'after the new shard was counted on the run', matches: (c, i) => c === 'UpdateItemCommand' && String(i.UpdateExpression).includes('splitShards') },
    { point: 'after the debt was cleared', matches: (c, i) => c === 'UpdateItemCommand' && String(i.UpdateExpression).startsWith('REMOVE splitWanted') },
  ];

  it.each(crashPoints)(
    'a fetcher that dies $point: its next delivery finishes the split, the new shard is counted once, every item is staged once',
    async ({ matches }) => {
      const { s, long, shortOutcome, release } = await whileShardZeroIsHeld([
        { from: 0, to: 99 },
        { from: 1_000, to: 1_004 },
      ]);
      expect(shortOutcome).toBe('done');
      h.failOnce({ when: 'after', matches });
      release();
      await expect(long).rejects.toThrow(DyingCall);
      expect(await s.loadAll()).toBe('open');

      // Redelivered (the queue's visibility timeout), and every message the split sent, each as often as it was sent.
      expect(await s.fetch(s.message(0))).toBe('done');
      for (const m of s.queued) expect(['done', 'already-done']).toContain(await s.fetch(m));
      expect(s.queued.length).toBeGreaterThanOrEqual(1);
      expect(new Set(s.queued.map((m) => m.shardId))).toEqual(new Set(['00002']));
      expect((await h.store.getRun(s.runId))?.shardCount).toBe(3);
      expect(await s.loadAll()).toBe('closed');
      expect(await s.stagedItems()).toEqual([...range(0, 99), ...range(1_000, 1_004)]);
    },
  );

  it('a shard with too little left declines: the request is cleared and no shard is made', async () => {
    const { s, long, shortOutcome, release } = await whileShardZeroIsHeld([
      { from: 0, to: 19 },
      { from: 1_000, to: 1_004 },
    ]);
    expect(shortOutcome).toBe('done');
    expect((await h.store.getShard(s.runId, shardIdOf(0)))?.splitWanted).toBe(true);
    release();
    expect(await long).toBe('done');
    expect(s.queued).toEqual([]);
    expect((await h.store.getShard(s.runId, shardIdOf(0)))?.splitWanted).toBeUndefined();
    expect((await h.store.getRun(s.runId))?.shardCount).toBe(2);
    expect(await s.loadAll()).toBe('closed');
    expect(await s.stagedItems()).toEqual([...range(0, 19), ...range(1_000, 1_004)]);
  });

  it('no fetcher asks while a shard of the run has not started: that shard is work for the next free fetcher', async () => {
    const { s, long, shortOutcome, release } = await whileShardZeroIsHeld([
      { from: 0, to: 99 },
      { from: 1_000, to: 1_004 },
      { from: 2_000, to: 2_004 },
    ]);
    expect(shortOutcome).toBe('done');
    expect((await h.store.getShard(s.runId, shardIdOf(0)))?.splitWanted).toBeUndefined();
    release();
    expect(await long).toBe('done');
    expect(await s.fetch(s.message(2))).toBe('done');
    expect(s.queued).toEqual([]);
    expect(await s.loadAll()).toBe('closed');
  });

  it('a shard is counted as started once; asking refuses a shard that is done, or asked already', async () => {
    const s = await scenario([
      { from: 0, to: 4 },
      { from: 10, to: 14 },
    ]);
    expect(await s.fetch(s.message(0))).toBe('done');
    // A shard taken again (a second delivery) is counted as started once.
    await h.store.startShard(s.runId, shardIdOf(0));
    expect((await h.store.getRun(s.runId))?.shardsStarted).toBe(1);
    expect(await h.store.requestSplit(s.runId, shardIdOf(0))).toBe(false);
    expect(await h.store.requestSplit(s.runId, shardIdOf(1))).toBe(true);
    expect(await h.store.requestSplit(s.runId, shardIdOf(1))).toBe(false);
    // Ids for new shards follow the planned ones and are never issued twice.
    expect([await h.store.issueShardId(s.runId), await h.store.issueShardId(s.runId)]).toEqual(['00002', '00003']);
  });
});
