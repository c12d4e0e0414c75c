import { BlockTimes, rulesOfChain } from './block-times.ts';
import type { BlockHeader, ChainRpc } from './rpc.ts';
import type { ChainSourceStats } from './stats.ts';

/** Headers read ahead of a batch's blocks at most, in the room its last header request has left. */
export const MAX_ANCHORS_AHEAD = 32;

export interface BlockTimesRead {
  /** Every asked block's timestamp. */
  times: Map<bigint, number>;
  /** The headers read for them (the others were proven): their hashes check the logs' blocks. */
  headers: Map<bigint, BlockHeader>;
}

/**
 * Block timestamps for logs that carry none. Headers are read in JSON-RPC
 * batches, as before; where the chain's consensus rule proves a block's time
 * from two headers already read (`BlockTimes`), it is not read at all. So
 * that the next batch of pages finds headers around its blocks, each read
 * also takes up to MAX_ANCHORS_AHEAD headers spread between its last block
 * and the shard's end, in the room its last request has left: on a chain
 * whose blocks come at the least time the rule allows, a shard then reads headers about once,
 * where it read them once per batch of pages.
 */
export class BlockClock {
  private rule: BlockTimes | null | undefined;

  constructor(
    private readonly rpc: ChainRpc,
    private readonly stats: ChainSourceStats,
    private readonly infer: boolean,
  ) {}

  /** What the chain's rule is, asked of the node once (eth_chainId); null: a chain whose rule is not known, or inference off. */
  private async times(signal: AbortSignal | undefined): Promise<BlockTimes | null> {
    if (this.rule !== undefined) return this.rule;
    const rules = this.infer ? rulesOfChain(await this.rpc.chainId(signal)) : null;
    this.rule = rules ? new BlockTimes(rules) : null;
    return this.rule;
  }

  /** The timestamps of `blocks`, all of them at or below `horizon` (the shard's last block). */
  async read(blocks: readonly bigint[], horizon: bigint, signal?: AbortSignal): Promise<BlockTimesRead> {
    const wanted = [...new Set(blocks)];
    const out: BlockTimesRead = { times: new Map(), headers: new Map() };
    if (wanted.length === 0) return out;
    const rule = await this.times(signal);
    const unproven = rule ? wanted.filter((n) => rule.timeOf(n) === undefined) : wanted;
    if (unproven.length > 0) {
      const ahead = rule ? anchorsAhead(rule, unproven, horizon, this.rpc.headerBatchSize) : [];
      out.headers = await this.rpc.getHeaders([...unproven, ...ahead], signal);
      rule?.learn(out.headers.values());
    }
    for (const n of wanted) {
      const read = out.headers.get(n);
      const time = read?.timestamp ?? rule?.timeOf(n);
      if (time === undefined) throw new Error(`chain source: no timestamp for block ${n}`);
      if (!read) this.stats.timestampsInferred++;
      out.times.set(n, time);
    }
    return out;
  }
}

/**
 * Headers to read ahead of `blocks`, up to `horizon`, in the room the last
 * request leaves (at most MAX_ANCHORS_AHEAD): the stretches no two headers
 * prove yet, nearest first, each cut into equal parts. On a shard's first
 * read that is the whole rest of the shard; later, a stretch with a missed
 * slot in it is narrowed on every read, until the slot lies between two
 * headers read and the blocks on either side are proven.
 */
export function anchorsAhead(times: BlockTimes, blocks: readonly bigint[], horizon: bigint, batchSize: number): bigint[] {
  const top = blocks.reduce((a, b) => (b > a ? b : a));
  const room = Math.min(MAX_ANCHORS_AHEAD, (batchSize - (blocks.length % batchSize)) % batchSize);
  const stretches = times.unprovenStretches(top, horizon);
  const out = new Set<bigint>();
  stretches.forEach((s, i) => {
    const share = BigInt(Math.floor(room / stretches.length) + (i < room % stretches.length ? 1 : 0));
    // An open stretch ends on a block to read (`horizon`); a closed one lies between two headers read already.
    const parts = s.open ? share : share + 1n;
    for (let k = 1n; k <= share; k++) {
      const n = s.from + ((s.to - s.from) * k + parts - 1n) / parts;
      if (n > s.from && (n < s.to || (s.open && n === s.to))) out.add(n);
    }
  });
  return [...out];
}
