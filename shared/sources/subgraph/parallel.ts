import { minShardsFor, type PlannedShard } from '#shared/sources/source.ts';

/**
 * A shard's optional id range, half-open: ids after `idGt` up to and including
 * `idLte`. Absent bounds are open, so a shard without either has every id.
 */
export interface IdRange {
  idGt?: string;
  idLte?: string;
}

/** Boundaries are `0x` and this many hex digits: 2^32 points, far more than any run has shards. */
const BOUNDARY_HEX_DIGITS = 8;
const BOUNDARY_SPACE = 16 ** BOUNDARY_HEX_DIGITS;
/** A boundary as the spec schema accepts it. */
export const ID_BOUNDARY_PATTERN = /^0x[0-9a-f]{1,64}$/;

/** Most pieces one shard is cut into. */
export const MAX_ID_PARTS = 256;

/**
 * Shards cut for parallelism average at least this many pages: each shard ends
 * on a short page and costs a queue message and an invocation, so one of four
 * pages wastes at most an eighth of its requests on average.
 */
export const MIN_PAGES_PER_PARALLEL_SHARD = 4;

/**
 * The parts - 1 boundaries that cut the id space into `parts` ranges of equal
 * width. A fill id is `<transaction hash>_<order hash>`, hex after `0x`:
 * hashes, so the fills of any token set spread evenly over them, and equal
 * ranges hold about equal numbers of fills (that is all the evenness rests on;
 * exactness rests on the tiling alone, whatever the ids look like). A boundary is
 * shorter than any id, so no id equals one: each id lies strictly inside one
 * range, and the ranges (−∞, b1], (b1, b2], …, (bn, ∞) tile every string.
 */
export function idBoundaries(parts: number): string[] {
  const out: string[] = [];
  for (let i = 1; i < parts; i++) {
    out.push(
      `0x${Math.floor((BOUNDARY_SPACE * i) / parts)
        .toString(16)
        .padStart(BOUNDARY_HEX_DIGITS, '0')}`,
    );
  }
  return out;
}

/** The i-th of `parts` near-equal integer shares of `total` (they add up to it). */
const share = (total: number, parts: number, i: number): number => Math.floor((total * (i + 1)) / parts) - Math.floor((total * i) / parts);

/**
 * Sizes a plan by the parallelism available as well as by rows: when the
 * row-sized shards are fewer than `wanted = minShardsFor(fetcherConcurrency)`,
 * they are cut by id range into `wanted` pieces in all, each cut going to the
 * shard whose pieces are largest, so the pieces come out about equal (total /
 * wanted rows) and the last wave of fetchers has no straggler. It stops early
 * when pieces would average under `minRowsPerShard`. Pieces keep their
 * parent's tokens and time window and tile its ids exactly (see
 * `idBoundaries`), so no fill is in two pieces or in none; the plan is then
 * ordered largest first, so the longest shards start first. A shard that
 * already has an id range is left whole.
 *
 * When the rows allow (total ≥ wanted × minRowsPerShard) the result has at
 * least `wanted` shards: every cut keeps total / pieces ≥ minRowsPerShard
 * until there are `wanted` of them.
 */
export function splitForParallelism<S extends IdRange>(
  shards: PlannedShard<S>[],
  fetcherConcurrency: number | undefined,
  minRowsPerShard: number,
): PlannedShard<S>[] {
  const wanted = minShardsFor(fetcherConcurrency);
  if (shards.length >= wanted) return shards;
  const total = shards.reduce((n, s) => n + s.estimatedRows, 0);
  const pieces = shards.map(() => 1);
  const cuttable = shards.map((s) => s.spec.idGt === undefined && s.spec.idLte === undefined);
  for (let count = shards.length; count < wanted && total / (count + 1) >= Math.max(1, minRowsPerShard); count++) {
    let best = -1;
    for (let i = 0; i < shards.length; i++) {
      if (!cuttable[i] || pieces[i]! >= MAX_ID_PARTS) continue;
      if (best < 0 || shards[i]!.estimatedRows / pieces[i]! > shards[best]!.estimatedRows / pieces[best]!) best = i;
    }
    if (best < 0) break;
    pieces[best]!++;
  }
  const out = shards.flatMap((shard, k) => {
    const parts = pieces[k]!;
    if (parts === 1) return [shard];
    const bounds = idBoundaries(parts);
    return bounds.concat('').map((upper, i) => ({
      spec: { ...shard.spec, ...(i > 0 ? { idGt: bounds[i - 1] } : {}), ...(upper ? { idLte: upper } : {}) },
      estimatedRows: share(shard.estimatedRows, parts, i),
      label: `${shard.label}, ids ${i + 1}/${parts}`,
    }));
  });
  return out
    .map((s, i) => ({ s, i }))
    .sort((a, b) => b.s.estimatedRows - a.s.estimatedRows || a.i - b.i)
    .map(({ s }) => s);
}
