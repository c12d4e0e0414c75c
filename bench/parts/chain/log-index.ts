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
  /** eth_getBlockByNumber(n, false) of every block with a log, as the node answers it (JSON), by block number. */
  headers: Map<number, string>;
}

interface NodeLog {
  blockNumber: string;
  address: string;
  topics: string[];
  blockTimestamp?: string;
}

const hex = (n: number) => `0x${n.toString(16)}`;

async function rpc<T>(nodeUrl: string, body: unknown): Promise<T> {
  const res = await fetch(nodeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as T;
}

/** Header batches read from the node while indexing. */
const HEADER_BATCH = 500;

/**
 * Reads every log of [firstBlock, lastBlock] from the node once, in spans of
 * `span` blocks (the node must run with logTimestamps so the logs keep their
 * blockTimestamp), and the header of every block that has one: a provider
 * answers both from its own index, where the in-process node would take
 * milliseconds a header, time a provider does not spend and the bench must
 * not count against the client.
 */
export async function loadLogIndex(nodeUrl: string, firstBlock: number, lastBlock: number, span = 5_000): Promise<LogIndex> {
  const logs: IndexedLog[] = [];
  for (let from = firstBlock; from <= lastBlock; from += span) {
    const to = Math.min(lastBlock, from + span - 1);
    const body = await rpc<{ result?: NodeLog[]; error?: unknown }>(nodeUrl, {
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_getLogs',
      params: [{ fromBlock: hex(from), toBlock: hex(to) }],
    });
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
  return { logs, firstBlock, lastBlock, firstAtOrAfter, headers: await loadHeaders(nodeUrl, [...new Set(logs.map((l) => l.block))]) };
}

async function loadHeaders(nodeUrl: string, blocks: readonly number[]): Promise<Map<number, string>> {
  const headers = new Map<number, string>();
  for (let i = 0; i < blocks.length; i += HEADER_BATCH) {
    const batch = blocks.slice(i, i + HEADER_BATCH);
    const answers = await rpc<{ id: number; result?: unknown; error?: unknown }[]>(
      nodeUrl,
      batch.map((b, id) => ({ jsonrpc: '2.0', id, method: 'eth_getBlockByNumber', params: [hex(b), false] })),
    );
    for (const a of answers) {
      if (!a.result) throw new Error(`eth_getBlockByNumber on the simulated node failed: ${JSON.stringify(a.error)}`);
      headers.set(batch[a.id] as number, JSON.stringify(a.result));
    }
  }
  return headers;
}
