import { ChainRpc, RpcCallError } from './rpc.ts';

export interface SafeHeadRule {
  /** Blocks kept below the head. */
  confirmations: bigint;
  /** Never above the node's `finalized` block. */
  useFinalized: boolean;
}

export interface SafeHead {
  /** The block the source may read up to now; asks the node each time and remembers the answer. */
  current(signal?: AbortSignal): Promise<bigint>;
  /** Fails (so the shard is retried later) when `block` is above the safe head, asking the node again only past the last answer. */
  ensureReadable(block: bigint, signal?: AbortSignal): Promise<void>;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

/** The safe head: `finalized` (when used) and/or `latest - confirmations`, the smaller wins. */
export function safeHeadOf(rpc: ChainRpc, rule: SafeHeadRule): SafeHead {
  let known: bigint | undefined;

  async function current(signal?: AbortSignal): Promise<bigint> {
    const latest = await rpc.blockNumber(signal);
    let safe = latest - rule.confirmations;
    if (rule.useFinalized) {
      let fin;
      try {
        fin = await rpc.getHeader('finalized', signal);
      } catch (err) {
        if (err instanceof RpcCallError && err.failure.kind === 'fatal') fin = null;
        else throw err;
      }
      if (!fin) {
        throw new Error(
          'chain source: the node does not serve the "finalized" block tag; set CHAIN_USE_FINALIZED=false and CHAIN_CONFIRMATIONS to a reorg-safe depth',
        );
      }
      safe = min(safe, fin.number);
    }
    known = safe;
    return safe;
  }

  async function ensureReadable(block: bigint, signal?: AbortSignal): Promise<void> {
    if (known !== undefined && block <= known) return;
    const safe = await current(signal);
    if (block > safe) {
      throw new Error(`chain source: block ${block} is above the safe head ${safe} (not yet final enough); the shard will be retried`);
    }
  }

  return { current, ensureReadable };
}
