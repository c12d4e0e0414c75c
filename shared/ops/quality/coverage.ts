import type { CheckResult } from './types.ts';
import { fmt, one, rows, type Checked } from './sql.ts';

export interface ChainRange {
  /** The first block the chain source must have read (its configured genesis). */
  genesis: bigint;
  /** The chain watermark: the last block a completed run reached; null when unknown. */
  watermark: bigint | null;
  /**
   * Where a bounded first sync (`sync --since`) started the chain: the first
   * block it read, and the `--since` instant. The blocks before it were left
   * out on purpose, for a later backfill; until that has read any of them, the
   * check starts here and says so.
   */
  loadedFrom?: { block: bigint; since: string } | undefined;
}

export interface BlockGap {
  from: string;
  to: string;
  blocks: string;
}

export interface CoverageDetails {
  genesis: string;
  /** The first block checked: the genesis, or where `sync --since` started while the history before it is not loaded. */
  checkedFrom: string;
  /** The block the check ran to: the watermark, or the highest covered block when the watermark is unknown. */
  checkedTo: string | null;
  watermarkKnown: boolean;
  /** Distinct page ranges that touch [genesis, checkedTo]. */
  ranges: number;
  missingBlocks: string;
  /** The first gaps, lowest first. */
  gaps: BlockGap[];
}

/** A gap list is capped; the missing-block total is not. */
const MAX_GAPS = 100;

const gap = (from: bigint, to: bigint): BlockGap => ({ from: from.toString(), to: to.toString(), blocks: (to - from + 1n).toString() });

/**
 * Every block from the chain genesis to the chain watermark was read: the
 * page ranges in `chain_coverage` (inclusive `from_block..to_block`, one row
 * per page the chain source read) leave no block of [genesis, watermark]
 * uncovered. Ranges may overlap (a re-read page). Without a watermark the
 * check runs to the highest covered block, which finds holes but not a
 * missing tail.
 */
export async function checkChainCoverage(w: Checked, range: ChainRange): Promise<CheckResult<CoverageDetails>> {
  const details: CoverageDetails = {
    genesis: range.genesis.toString(),
    checkedFrom: range.genesis.toString(),
    checkedTo: null,
    watermarkKnown: range.watermark !== null,
    ranges: 0,
    missingBlocks: '0',
    gaps: [],
  };
  const extent = await one<{ n: string; lo: string; hi: string }>(
    w,
    `SELECT count() AS n, min(from_block) AS lo, max(to_block) AS hi FROM ${w.db}.chain_coverage WHERE to_block >= {genesis:UInt64}`,
    { genesis: range.genesis.toString() },
  );
  const end = range.watermark ?? (BigInt(extent.n) > 0n ? BigInt(extent.hi) : null);
  if (end === null) return { name: 'chain-coverage', status: 'skip', summary: 'no chain watermark and no block read yet', details };
  if (end < range.genesis) {
    return { name: 'chain-coverage', status: 'skip', summary: `watermark ${end} is below the genesis ${range.genesis}: nothing read yet`, details };
  }
  details.checkedTo = end.toString();
  const start = await firstBlockToCheck(w, range);
  details.checkedFrom = start.toString();
  const leftOut =
    start > range.genesis && range.loadedFrom
      ? `; blocks ${range.genesis}..${start - 1n}, before ${range.loadedFrom.since}, are not loaded yet: \`sync --since\` left them for a backfill (\`sync --from … --to ${range.loadedFrom.since}\`)`
      : '';
  const params = { genesis: start.toString(), end: end.toString() };
  const clipped = `SELECT DISTINCT greatest(from_block, {genesis:UInt64}) AS lo, least(to_block, {end:UInt64}) AS hi
                   FROM ${w.db}.chain_coverage WHERE to_block >= {genesis:UInt64} AND from_block <= {end:UInt64} AND from_block <= to_block`;
  const summary = await one<{ n: string; lo: string; hi: string }>(w, `SELECT count() AS n, min(lo) AS lo, max(hi) AS hi FROM (${clipped})`, params);
  details.ranges = Number(summary.n);
  const gaps: BlockGap[] = [];
  if (details.ranges === 0) {
    gaps.push(gap(start, end));
  } else {
    if (BigInt(summary.lo) > start) gaps.push(gap(start, BigInt(summary.lo) - 1n));
    // Ranges in order; a range that starts past every earlier range's end opens a hole.
    const inner = await rows<{ from_block: string; to_block: string }>(
      w,
      `SELECT toString(covered_to + 1) AS from_block, toString(lo - 1) AS to_block FROM (
         SELECT lo, row_number() OVER w AS i, max(hi) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_to
         FROM (${clipped}) WINDOW w AS (ORDER BY lo, hi))
       WHERE i > 1 AND lo > covered_to + 1 ORDER BY lo`,
      params,
    );
    for (const g of inner) gaps.push(gap(BigInt(g.from_block), BigInt(g.to_block)));
    if (BigInt(summary.hi) < end) gaps.push(gap(BigInt(summary.hi) + 1n, end));
    gaps.sort((a, b) => (BigInt(a.from) < BigInt(b.from) ? -1 : 1));
  }
  const missing = gaps.reduce((n, g) => n + BigInt(g.blocks), 0n);
  details.gaps = gaps.slice(0, MAX_GAPS);
  details.missingBlocks = missing.toString();
  const upTo = range.watermark === null ? `the highest block read, ${end} (watermark unknown)` : `the watermark ${end}`;
  if (gaps.length === 0) {
    return {
      name: 'chain-coverage',
      status: 'pass',
      summary: `blocks ${start}..${end} all read (${fmt(details.ranges)} page ranges), up to ${upTo}${leftOut}`,
      details,
    };
  }
  const first = gaps[0]!;
  return {
    name: 'chain-coverage',
    status: 'fail',
    summary: `${fmt(missing)} blocks never read in ${fmt(gaps.length)} gap(s) between ${start} and ${upTo}; first ${first.from}..${first.to}${leftOut}`,
    details,
  };
}

/** The genesis, or where `sync --since` started while no block before it has been read (the backfill has not begun). */
async function firstBlockToCheck(w: Checked, range: ChainRange): Promise<bigint> {
  const from = range.loadedFrom?.block;
  if (from === undefined || from <= range.genesis) return range.genesis;
  const before = await one<{ n: string }>(
    w,
    `SELECT count() AS n FROM ${w.db}.chain_coverage WHERE to_block >= {genesis:UInt64} AND from_block < {from:UInt64}`,
    { genesis: range.genesis.toString(), from: from.toString() },
  );
  return Number(before.n) === 0 ? from : range.genesis;
}
