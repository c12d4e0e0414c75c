import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateDataset, startSubgraphServer, type Dataset, type SubgraphServer } from '#simulator/index.ts';
import { createSubgraphSource, type SubgraphSpec } from '#shared/sources/subgraph/index.ts';
import { idBoundaries, MIN_PAGES_PER_PARALLEL_SHARD, splitForParallelism, type IdRange } from '#shared/sources/subgraph/parallel.ts';
import { minShardsFor, SHARDS_PER_FETCHER, type PlannedShard } from '#shared/sources/source.ts';

/** Whether an id lies in a shard's half-open id range, as the source's filter reads it. */
const inRange = (r: IdRange, id: string) => (r.idGt === undefined || id > r.idGt) && (r.idLte === undefined || id <= r.idLte);

const hexId = fc
  .tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([a, b]) => `0x${Buffer.from(a).toString('hex')}_0x${Buffer.from(b).toString('hex')}`);

describe('cutting a plan for parallelism (splitForParallelism)', () => {
  it('gives at least SHARDS_PER_FETCHER shards per fetcher when the rows allow, whose id ranges tile each parent exactly', () => {
    const shards = fc.array(fc.record({ tokens: fc.nat({ max: 50 }), rows: fc.nat({ max: 200_000 }) }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(
        shards,
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(hexId, { maxLength: 50 }),
        (list, fetchers, minRows, ids) => {
          const parents: PlannedShard<{ parent: number } & IdRange>[] = list.map((s, parent) => ({
            spec: { parent },
            estimatedRows: s.rows,
            label: `p${parent}`,
          }));
          const out = splitForParallelism(parents, fetchers, minRows);
          const total = parents.reduce((n, s) => n + s.estimatedRows, 0);
          const wanted = minShardsFor(fetchers);
          expect(wanted).toBe(SHARDS_PER_FETCHER * fetchers);
          if (parents.length >= wanted) expect(out).toEqual(parents);
          else {
            // Exactly as many as wanted when the rows allow, fewer (never below one a parent) when they do not; largest first.
            if (total >= wanted * minRows) expect(out.length).toBe(wanted);
            else expect(out.length).toBeLessThanOrEqual(Math.max(parents.length, Math.floor(total / minRows)));
            for (let i = 1; i < out.length; i++) expect(out[i]!.estimatedRows).toBeLessThanOrEqual(out[i - 1]!.estimatedRows);
          }
          for (const [parent, p] of parents.entries()) {
            // The plan is ordered largest first; a parent's pieces, in id order.
            const pieces = out.filter((s) => s.spec.parent === parent).sort((x, y) => ((x.spec.idGt ?? '') < (y.spec.idGt ?? '') ? -1 : 1));
            // Estimates are kept whole, and no piece is much smaller than asked (rounding aside).
            expect(pieces.reduce((n, s) => n + s.estimatedRows, 0)).toBe(p.estimatedRows);
            // Ranges in order: open at both ends, each one starting where the previous stopped.
            expect(pieces[0]!.spec.idGt).toBeUndefined();
            expect(pieces.at(-1)!.spec.idLte).toBeUndefined();
            for (let i = 1; i < pieces.length; i++) {
              expect(pieces[i]!.spec.idGt).toBe(pieces[i - 1]!.spec.idLte);
              if (pieces[i]!.spec.idLte !== undefined) expect(pieces[i]!.spec.idGt! < pieces[i]!.spec.idLte!).toBe(true);
            }
            // Every id lies in exactly one piece of each parent.
            for (const id of ids) expect(pieces.filter((s) => inRange(s.spec, id))).toHaveLength(1);
          }
        },
      ),
    );
  });

  it('leaves a shard alone that already has an id range, and an unsized plan (an incremental run) whole', () => {
    const cut: PlannedShard<IdRange> = { spec: { idGt: '0x10', idLte: '0x20' }, estimatedRows: 1_000_000, label: 'cut' };
    expect(splitForParallelism([cut], 8, 1_000)).toEqual([cut]);
    const unsized: PlannedShard<IdRange> = { spec: {}, estimatedRows: 0, label: 'new fills' };
    expect(splitForParallelism([unsized], 8, 1_000)).toEqual([unsized]);
    expect(splitForParallelism([unsized], undefined, 1_000)).toEqual([unsized]);
  });

  it('cuts the id space into equal-width ranges of boundaries shorter than any id', () => {
    expect(idBoundaries(1)).toEqual([]);
    expect(idBoundaries(4)).toEqual(['0x40000000', '0x80000000', '0xc0000000']);
    const b = idBoundaries(256);
    expect(b).toHaveLength(255);
    expect([...b].sort()).toEqual(b);
    expect(new Set(b).size).toBe(255);
  });
});

describe('the subgraph source planned for parallelism, against the simulated subgraph', () => {
  let dataset: Dataset;
  let server: SubgraphServer;
  const http = { timeoutMs: 5_000, maxRetries: 3 };
  const pageSize = 100;

  beforeAll(async () => {
    // A small history with a heavy market and thousands of fills sharing one timestamp.
    dataset = generateDataset({ seed: 12, markets: 40, fills: 9_000, topShare: 0.3, burst: { size: 1_500 } });
    server = await startSubgraphServer({ dataset });
  });
  afterAll(() => server?.close());

  async function drain(spec: SubgraphSpec, source: ReturnType<typeof createSubgraphSource>) {
    const ids: string[] = [];
    let cursor: { lastId: string } | null = null;
    do {
      const page = await source.fetchPage(spec, cursor);
      for (const r of page.records) {
        expect(r.table).toBe('fills');
        if (r.table === 'fills') ids.push(r.row.fill_id);
      }
      cursor = page.next;
    } while (cursor);
    return ids;
  }

  it('plans at least SHARDS_PER_FETCHER shards per fetcher for a history rows alone would put in one, and they hold every fill exactly once', async () => {
    const source = createSubgraphSource({ ...http, url: server.url, pageSize });
    const byRows = await source.plan({ watermark: null });
    expect(byRows.shards).toHaveLength(1);
    const fetchers = 4;
    const plan = await source.plan({ watermark: null, fetcherConcurrency: fetchers });
    expect(dataset.fills.length).toBeGreaterThanOrEqual(minShardsFor(fetchers) * MIN_PAGES_PER_PARALLEL_SHARD * pageSize);
    expect(plan.shards.length).toBeGreaterThanOrEqual(minShardsFor(fetchers));
    expect(plan.target).toBe(byRows.target);
    expect(plan.shards.reduce((n, s) => n + s.estimatedRows, 0)).toBe(byRows.shards[0]!.estimatedRows);

    const ids: string[] = [];
    for (const shard of plan.shards) {
      const own = await drain(shard.spec, source);
      for (const id of own) expect(inRange(shard.spec, id)).toBe(true);
      ids.push(...own);
    }
    expect(ids).toHaveLength(dataset.fills.length);
    expect(new Set(ids)).toEqual(new Set(dataset.fills.map((f) => f.id.toLowerCase())));
  });

  it('with many small shards and heavy tokens split by time, still every fill exactly once', async () => {
    const source = createSubgraphSource({ ...http, url: server.url, pageSize, targetRowsPerShard: 1_000 });
    const plan = await source.plan({ watermark: null, fetcherConcurrency: 5 });
    expect(plan.shards.some((s) => s.label.startsWith('heavy'))).toBe(true);
    expect(plan.shards.some((s) => s.spec.idGt !== undefined)).toBe(true);
    expect(plan.shards.length).toBeGreaterThanOrEqual(minShardsFor(5));
    const ids: string[] = [];
    for (const shard of plan.shards) ids.push(...(await drain(shard.spec, source)));
    expect(ids).toHaveLength(dataset.fills.length);
    expect(new Set(ids)).toEqual(new Set(dataset.fills.map((f) => f.id.toLowerCase())));
  });

  it('does not cut a history too small for it below MIN_PAGES_PER_PARALLEL_SHARD pages a shard', async () => {
    const source = createSubgraphSource({ ...http, url: server.url, pageSize });
    const plan = await source.plan({ watermark: null, fetcherConcurrency: 64 });
    const minRows = MIN_PAGES_PER_PARALLEL_SHARD * pageSize;
    expect(plan.shards.length).toBeLessThan(minShardsFor(64));
    expect(plan.shards.length).toBeLessThanOrEqual(Math.ceil(dataset.fills.length / minRows) + 1);
    expect(plan.shards.every((s) => s.estimatedRows >= minRows / 2)).toBe(true);
  });

  it('refuses a spec whose id range is empty or not a boundary', () => {
    const source = createSubgraphSource({ ...http, url: server.url });
    expect(source.specSchema.safeParse({ fromTs: 0, toTs: 1, idGt: '0x20', idLte: '0x10' }).success).toBe(false);
    expect(source.specSchema.safeParse({ fromTs: 0, toTs: 1, idLte: 'zz' }).success).toBe(false);
    expect(source.specSchema.safeParse({ fromTs: 0, toTs: 1, idGt: '0x10', idLte: '0x20' }).success).toBe(true);
  });
});
