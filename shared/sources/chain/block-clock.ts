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
 * whose blocks come at the least time the rule allows, a shard then reads
 * headers about once, where it read them once per batch of pages.
 */
export class BlockClock {
  /** The eth_chainId question, asked once; undefined again if it failed, so the next read asks anew. */
  private rule: Promise<BlockTimes | null> | undefined;
  /** The rule's store once the node has said its chain id; null: no rule (unknown chain, or inference off). */
  private known: BlockTimes | null | undefined;

  constructor(
    private readonly rpc: ChainRpc,
    private readonly stats: ChainSourceStats,
    infer: boolean,
  ) {
    if (!infer) this.known = null;
  }

  /**
   * The headers known so far under the chain's rule, asked of the node once
   * (eth_chainId) and shared by the shards this instance pages side by side.
   * The first reads do not wait for the answer: they read every header they
   * need, and headers ahead, and the answer arrives beside them, so asking
   * costs one request and no round trip in any shard's way.
   */
  private askRule(signal: AbortSignal | undefined): Promise<BlockTimes | null> {
    if (this.known !== undefined) return Promise.resolve(this.known);
    this.rule ??= this.rpc.chainId(signal).then((id) => {
      const rules = rulesOfChain(id);
      this.known ??= rules ? new BlockTimes(rules) : null;
      return this.known;
    });
    this.rule.catch(() => (this.rule = undefined));
    return this.rule;
  }

  /** The timestamps of `blocks`, all of them in a shard that ends at `horizon`. */
  async read(blocks: readonly bigint[], horizon: bigint, signal?: AbortSignal): Promise<BlockTimesRead> {
    const out: BlockTimesRead = { times: new Map(), headers: new Map() };
    const wanted = [...new Set(blocks)];
    if (wanted.length === 0) return out;
    const rule = this.askRule(signal);
    const known = this.known;
    const unproven: bigint[] = [];
    for (const n of wanted) {
      const time = known?.timeOf(n);
      if (time === undefined) unproven.push(n);
      else out.times.set(n, time);
    }
    this.stats.timestampsInferred += out.times.size;
    if (unproven.length === 0) return out;
    // Until the node has answered, the rule may still prove what these headers and the ones ahead span.
    const ahead = known === null ? [] : anchorsAhead(known, unproven, horizon, this.rpc.headerBatchSize);
    out.headers = await this.rpc.getHeaders([...unproven, ...ahead], signal);
    // Later batches of these shards read above the highest block read here: it and the headers ahead are what they
    // can use, and keeping only those keeps the anchors few however many headers a long run reads.
    const top = unproven.reduce((a, b) => (b > a ? b : a));
    (await rule)?.learn([top, ...ahead].flatMap((n) => out.headers.get(n) ?? []));
    for (const n of unproven) {
      const read = out.headers.get(n);
      if (!read) throw new Error(`chain source: no header came back for block ${n}`);
      out.times.set(n, read.timestamp);
    }
    return out;
  }
}

/**
 * Headers to read ahead of `blocks`, up to `horizon`, in the room the last
 * request leaves (at most MAX_ANCHORS_AHEAD): the stretches no two headers
 * prove yet, nearest first, each cut into equal parts (`times` undefined:
 * nothing known yet, the whole rest is one). On a shard's first
 * read that is the whole rest of the shard; later, a stretch with a missed
 * slot in it is narrowed on every read, until the slot lies between two
 * headers read and the blocks on either side are proven.
 */
export function anchorsAhead(times: BlockTimes | undefined, blocks: readonly bigint[], horizon: bigint, batchSize: number): bigint[] {
  const top = blocks.reduce((a, b) => (b > a ? b : a));
  const room = Math.min(MAX_ANCHORS_AHEAD, (batchSize - (blocks.length % batchSize)) % batchSize);
  const stretches = times ? times.unprovenStretches(top, horizon) : top < horizon ? [{ from: top, to: horizon, open: true }] : [];
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
