/**
 * A chain's consensus rule on block times, from block `from` on: a block's
 * timestamp is at least `period` seconds after its parent's, or
 * `producerDelay` for the first block of a sprint (a block number that is a
 * multiple of `sprint`).
 */
export interface BlockRule {
  from: bigint;
  period: number;
  sprint?: bigint | undefined;
  producerDelay?: number | undefined;
}

/**
 * Polygon PoS (chain 137), from Bor (github.com/0xPolygon/bor): a header
 * earlier than its parent's time plus the period is refused
 * (`verifyCascadingFields`, ErrInvalidTimestamp), and so is one earlier than
 * the parent's time plus `CalcProducerDelay`: the producer delay for a
 * sprint's first block, the period otherwise, more for a backup producer
 * (`IsBlockEarly`, BlockTooSoonError; both in consensus/bor/bor.go).
 * Mainnet's values (internal/cli/server/chains/mainnet.go): period 2 s, and
 * 1 s from block 80,084,800 (Madhugiri); sprints of 64 blocks with a 6 s
 * delay, 16 and 4 s from block 38,189,056 (Delhi). Bor's `Prepare` dates a
 * block at that least time unless the chain has fallen behind the clock. Since
 * Madhugiri producers may run a slower cadence over the 1 s floor (PIP-75,
 * forum.polygon.technology/t/pip-75-change-consensus-time-to-1-second): 2 s,
 * and 1.75 s since May 2026 by Polygon's own account (PIP-86), which this
 * project has not checked against the chain. Such blocks are not at the least
 * time, so their timestamps are read, not proven; `doctor` says which it is.
 */
export const POLYGON_POS_RULES: readonly BlockRule[] = [
  { from: 0n, period: 2, sprint: 64n, producerDelay: 6 },
  { from: 38_189_056n, period: 2, sprint: 16n, producerDelay: 4 },
  { from: 80_084_800n, period: 1, sprint: 16n, producerDelay: 4 },
];

/** A chain whose every block is at least a second after its parent (Hardhat's EDR node, which the tests and benches run). */
export const STRICTLY_LATER_RULES: readonly BlockRule[] = [{ from: 0n, period: 1 }];

export const POLYGON_CHAIN_ID = 137;
export const HARDHAT_CHAIN_ID = 31_337;

/** The rule of a chain this source knows; null: none is assumed, and every timestamp is read. */
export function rulesOfChain(chainId: number): readonly BlockRule[] | null {
  if (chainId === POLYGON_CHAIN_ID) return POLYGON_POS_RULES;
  if (chainId === HARDHAT_CHAIN_ID) return STRICTLY_LATER_RULES;
  return null;
}

/** The least seconds block `n` can be after its parent under `rule`. */
function leastGap(rule: BlockRule, n: bigint): number {
  return rule.sprint !== undefined && rule.producerDelay !== undefined && n % rule.sprint === 0n ? rule.producerDelay : rule.period;
}

/** Blocks in [first, last] that start a sprint of `rule`. */
function sprintStarts(rule: BlockRule, first: bigint, last: bigint): bigint {
  if (rule.sprint === undefined || rule.producerDelay === undefined) return 0n;
  const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
  return floorDiv(last, rule.sprint) - floorDiv(first - 1n, rule.sprint);
}

/**
 * The least number of seconds block `to` can be after block `from` (from <
 * to): each block's least gap in (from, to], summed. A block where the rule
 * changes counts the smaller of the two rules' gaps, whichever side of the
 * change a node's version puts it on.
 */
export function leastSecondsBetween(rules: readonly BlockRule[], from: bigint, to: bigint): number {
  let total = 0n;
  rules.forEach((rule, i) => {
    const next = rules[i + 1];
    const first = rule.from > from + 1n ? rule.from : from + 1n;
    const last = next && next.from - 1n < to ? next.from - 1n : to;
    if (last < first) return;
    const starts = sprintStarts(rule, first, last);
    total += (last - first + 1n - starts) * BigInt(rule.period) + starts * BigInt(rule.producerDelay ?? 0);
    const before = rules[i - 1];
    if (before && first === rule.from) total -= BigInt(Math.max(0, leastGap(rule, first) - leastGap(before, first)));
  });
  return Number(total);
}

/**
 * Block timestamps known from headers read (anchors), and those they prove:
 * when block c is exactly the least time the rule allows after block a, every
 * block between sits at its least time too (each gap is at least its least,
 * and the gaps add up to the least), so its timestamp follows without a
 * header read. A stretch with any longer gap proves nothing; its blocks are
 * read. Anchors past `maxAnchors` are dropped from the lowest block up, which
 * only costs reads: a proof uses true headers only.
 */
export class BlockTimes {
  private blocks: bigint[] = [];
  private times: number[] = [];

  constructor(
    private readonly rules: readonly BlockRule[],
    private readonly maxAnchors = 65_536,
  ) {}

  get anchors(): number {
    return this.blocks.length;
  }

  learn(headers: Iterable<{ number: bigint; timestamp: number }>): void {
    const merged = new Map<bigint, number>();
    this.blocks.forEach((b, i) => merged.set(b, this.times[i] as number));
    for (const h of headers) merged.set(h.number, h.timestamp);
    let entries = [...merged].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    if (entries.length > this.maxAnchors) entries = entries.slice(entries.length - Math.floor(this.maxAnchors / 2));
    this.blocks = entries.map((e) => e[0]);
    this.times = entries.map((e) => e[1]);
  }

  /**
   * The stretches of (from, to] that no two anchors prove: between `from`
   * (taken as an anchor) and the next, between two anchors whose gap is longer
   * than the rule's least, and past the last anchor up to `to` (`open`).
   */
  unprovenStretches(from: bigint, to: bigint): { from: bigint; to: bigint; open: boolean }[] {
    const out: { from: bigint; to: bigint; open: boolean }[] = [];
    let a = from;
    const at = this.indexOf(from);
    let ta = this.blocks[at] === from ? this.times[at] : undefined;
    for (let i = this.indexOf(from + 1n); i < this.blocks.length && (this.blocks[i] as bigint) <= to; i++) {
      const c = this.blocks[i] as bigint;
      const tc = this.times[i] as number;
      if (c - a > 1n && (ta === undefined || tc - ta !== leastSecondsBetween(this.rules, a, c))) out.push({ from: a, to: c, open: false });
      a = c;
      ta = tc;
    }
    if (a < to) out.push({ from: a, to, open: true });
    return out;
  }

  /** The index of the first anchor at or above `block`. */
  private indexOf(block: bigint): number {
    let lo = 0;
    let hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.blocks[mid] as bigint) < block) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The block's timestamp if an anchor gives or proves it; undefined when it must be read. */
  timeOf(block: bigint): number | undefined {
    const lo = this.indexOf(block);
    if (this.blocks[lo] === block) return this.times[lo];
    if (lo === 0 || lo === this.blocks.length) return undefined;
    const a = this.blocks[lo - 1] as bigint;
    const c = this.blocks[lo] as bigint;
    const ta = this.times[lo - 1] as number;
    const least = leastSecondsBetween(this.rules, a, c);
    const actual = (this.times[lo] as number) - ta;
    if (actual < least) {
      throw new Error(
        `chain source: block ${c} is ${actual} s after block ${a}, less than the ${least} s this chain's consensus allows: the node's timestamps, or the rule this source assumes for the chain, are wrong`,
      );
    }
    return actual === least ? ta + leastSecondsBetween(this.rules, a, block) : undefined;
  }
}
