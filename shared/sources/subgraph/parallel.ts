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
 * A shard cut for parallelism holds at least this many pages: each shard ends
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
 * row-sized shards are fewer than `minShardsFor(fetcherConcurrency)`, each is
 * cut by id range into pieces of about total / that many rows (never under
 * `minRowsPerShard`), so every fetcher has work and a fetcher that finishes
 * early takes the next piece. Pieces keep their parent's tokens and time
 * window and tile its ids exactly (see `idBoundaries`), so no fill is in two
 * pieces or in none. A shard that already has an id range is left whole.
 *
 * When the rows allow (total ≥ wanted × minRowsPerShard) the result has at
 * least `wanted` shards: each shard becomes ⌈rows / size⌉ pieces with
 * size = total / wanted, and those add up to at least total / size.
 */
export function splitForParallelism<S extends IdRange>(
  shards: PlannedShard<S>[],
  fetcherConcurrency: number | undefined,
  minRowsPerShard: number,
): PlannedShard<S>[] {
  const wanted = minShardsFor(fetcherConcurrency);
  if (shards.length >= wanted) return shards;
  const total = shards.reduce((n, s) => n + s.estimatedRows, 0);
  const size = Math.max(minRowsPerShard, total / wanted, 1);
  return shards.flatMap((shard) => {
    if (shard.spec.idGt !== undefined || shard.spec.idLte !== undefined) return [shard];
    const parts = Math.min(MAX_ID_PARTS, Math.max(1, Math.ceil(shard.estimatedRows / size)));
    if (parts === 1) return [shard];
    const bounds = idBoundaries(parts);
    return bounds.concat('').map((upper, i) => ({
      spec: { ...shard.spec, ...(i > 0 ? { idGt: bounds[i - 1] } : {}), ...(upper ? { idLte: upper } : {}) },
      estimatedRows: share(shard.estimatedRows, parts, i),
      label: `${shard.label}, ids ${i + 1}/${parts}`,
    }));
  });
}
