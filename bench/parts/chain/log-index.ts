/** One log of the simulated chain as a provider's index keeps it: where it is, what it is, and its JSON ready to send. */
export interface IndexedLog {
  block: number;
  /** Lower-case. */
  address: string;
  topic0: string;
  /** The log as the node gives it, blockTimestamp included. */
  json: string;
  jsonWithoutTimestamp: string;
}

export interface LogIndex {
  /** In chain order (block, log index). */
  logs: IndexedLog[];
  firstBlock: number;
  lastBlock: number;
  /** Position of the first log at or after `block`. */
  firstAtOrAfter(block: number): number;
}

interface NodeLog {
  blockNumber: string;
  address: string;
  topics: string[];
  blockTimestamp?: string;
}

/**
 * Reads every log of [firstBlock, lastBlock] from the node once, in spans of
 * `span` blocks (the node must run with logTimestamps so the logs keep their
 * blockTimestamp).
 */
export async function loadLogIndex(nodeUrl: string, firstBlock: number, lastBlock: number, span = 5_000): Promise<LogIndex> {
  const logs: IndexedLog[] = [];
  for (let from = firstBlock; from <= lastBlock; from += span) {
    const to = Math.min(lastBlock, from + span - 1);
    const res = await fetch(nodeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_getLogs',
        params: [{ fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` }],
      }),
    });
    const body = (await res.json()) as { result?: NodeLog[]; error?: unknown };
    if (!body.result) throw new Error(`eth_getLogs on the simulated node failed: ${JSON.stringify(body.error)}`);
    for (const l of body.result) {
      if (l.blockTimestamp === undefined) throw new Error('the simulated node must keep blockTimestamp on its logs (startChainWorld({ logTimestamps: true }))');
      const { blockTimestamp: _dropped, ...rest } = l;
      logs.push({
        block: Number(BigInt(l.blockNumber)),
        address: l.address.toLowerCase(),
        topic0: (l.topics[0] ?? '').toLowerCase(),
        json: JSON.stringify(l),
        jsonWithoutTimestamp: JSON.stringify(rest),
      });
    }
  }
  const firstAtOrAfter = (block: number): number => {
    let lo = 0;
    let hi = logs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((logs[mid] as IndexedLog).block < block) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return { logs, firstBlock, lastBlock, firstAtOrAfter };
}
