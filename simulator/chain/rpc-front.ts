import { createServer, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody } from './node.ts';

/**
 * Whose limits and wording the front imitates. Messages are the providers'
 * own (as documented or commonly reported):
 * - alchemy: result cap, -32602 "Log response size exceeded … this block range should work: [0x…, 0x…]"
 *   (span cap: the free tier's "up to a N block range" with a suggested range)
 * - quicknode: span cap, -32614 "eth_getLogs is limited to a 10,000 range"
 * - infura: result cap, -32005 "query returned more than 10000 results", data {from, to, limit}
 * - public-wide: span cap, -32000 "block range is too wide"
 * - public-max: span cap, -32000 "exceed maximum block range: 500"
 * - geth: result cap surfacing as -32000 "query timeout exceeded"
 * - http413: result cap surfacing as HTTP 413 Payload Too Large
 */
export type ProviderProfile = 'alchemy' | 'quicknode' | 'infura' | 'public-wide' | 'public-max' | 'geth' | 'http413';

export interface FrontOptions {
  profile: ProviderProfile;
  maxResults?: number;
  maxBlockSpan?: number;
  /** Every Nth HTTP request is answered 429 with Retry-After (up to max429 times). */
  rateLimitEvery?: number;
  max429?: number;
  retryAfter?: string;
  /** Every Nth HTTP request has its connection destroyed without an answer (up to maxDrops). */
  dropEvery?: number;
  maxDrops?: number;
  /** Every Nth HTTP request is held for stallMs before any answer (up to maxStalls). */
  stallEvery?: number;
  maxStalls?: number;
  stallMs?: number;
  /** Add the non-standard blockTimestamp field to logs, as some providers do. */
  addBlockTimestamp?: boolean;
  /** Answer eth_chainId with this id instead of the upstream node's (e.g. 137, Polygon's). */
  chainId?: number;
  /**
   * Refuse the `finalized` and `safe` block tags as nodes from before the
   * tags existed do: geth then read the tag as a malformed block number
   * (-32602 "invalid argument 0: hex string without 0x prefix").
   */
  noFinalizedTag?: boolean;
}

export interface FrontStats {
  httpRequests: number;
  batches: number;
  /** eth_getLogs calls that reached the front (answered, refused, 429'd or dropped alike). */
  getLogs: number;
  getLogsRefused: number;
  getLogsServed: number;
  getBlockByNumber: number;
  rate429: number;
  drops: number;
  stalls: number;
  /** Requests that arrived before the Retry-After of the last 429 had passed. */
  retryAfterViolations: number;
  /** Shortest time from a 429 to the next request, ms. */
  minGapAfter429Ms: number | null;
  /** Highest toBlock any eth_getLogs asked for. */
  maxToBlock: bigint | null;
}

export interface RpcFront {
  url: string;
  stats: FrontStats;
  reset(): void;
  close(): Promise<void>;
}

interface Req {
  jsonrpc?: string;
  id?: unknown;
  method?: string;
  params?: unknown[];
}
interface RpcLogLike {
  blockNumber: string;
  blockTimestamp?: string;
}

function fresh(): FrontStats {
  return {
    httpRequests: 0,
    batches: 0,
    getLogs: 0,
    getLogsRefused: 0,
    getLogsServed: 0,
    getBlockByNumber: 0,
    rate429: 0,
    drops: 0,
    stalls: 0,
    retryAfterViolations: 0,
    minGapAfter429Ms: null,
    maxToBlock: null,
  };
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

/** Whether a call names the `finalized` or `safe` tag (as a block, or as an eth_getLogs bound). */
function usesSafetyTag(r: Req): boolean {
  const isTag = (v: unknown) => v === 'finalized' || v === 'safe';
  const first = r.params?.[0];
  if (r.method === 'eth_getLogs' && first && typeof first === 'object') {
    const f = first as { fromBlock?: unknown; toBlock?: unknown };
    return isTag(f.fromBlock) || isTag(f.toBlock);
  }
  return isTag(first);
}

/** A JSON-RPC front on 127.0.0.1 that imposes one provider's eth_getLogs limits and faults on an upstream node. */
export async function startRpcFront(upstream: string, opts: FrontOptions): Promise<RpcFront> {
  let stats = fresh();
  let seq = 0;
  let last429At: number | null = null;
  let blockedUntil = 0;

  async function up(body: unknown): Promise<unknown> {
    const res = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json();
  }

  const err = (id: unknown, code: number, message: string, data?: unknown) => ({
    jsonrpc: '2.0',
    id,
    error: { code, message, ...(data !== undefined ? { data } : {}) },
  });

  /** Returns a JSON-RPC response, or 'http413' when this profile answers with HTTP 413. */
  async function handle(r: Req): Promise<unknown> {
    const id = r.id ?? null;
    if (r.method === 'eth_getBlockByNumber') stats.getBlockByNumber++;
    if (r.method === 'eth_chainId' && opts.chainId !== undefined) return { jsonrpc: '2.0', id, result: hex(BigInt(opts.chainId)) };
    if (opts.noFinalizedTag && usesSafetyTag(r)) return err(id, -32602, 'invalid argument 0: hex string without 0x prefix');
    if (r.method !== 'eth_getLogs') return up(r);
    const filter = (r.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
    const from = BigInt(filter.fromBlock ?? '0x0');
    const to = BigInt(filter.toBlock ?? '0x0');
    if (stats.maxToBlock === null || to > stats.maxToBlock) stats.maxToBlock = to;
    const span = to - from + 1n;
    const maxSpan = opts.maxBlockSpan;
    if (maxSpan !== undefined && span > BigInt(maxSpan)) {
      stats.getLogsRefused++;
      switch (opts.profile) {
        case 'quicknode':
          return err(id, -32614, `eth_getLogs is limited to a ${maxSpan.toLocaleString('en-US')} range`);
        case 'public-wide':
          return err(id, -32000, 'block range is too wide');
        case 'public-max':
          return err(id, -32000, `exceed maximum block range: ${maxSpan}`);
        case 'alchemy':
          return err(
            id,
            -32600,
            `Under the Free tier plan, you can make eth_getLogs requests with up to a ${maxSpan} block range. Based on your parameters, this block range should work: [${hex(from)}, ${hex(from + BigInt(maxSpan) - 1n)}]`,
          );
        default:
          return err(id, -32000, 'block range is too wide');
      }
    }
    const answer = (await up(r)) as { result?: RpcLogLike[] };
    const logs = answer.result;
    const maxResults = opts.maxResults;
    if (Array.isArray(logs) && maxResults !== undefined && logs.length > maxResults) {
      stats.getLogsRefused++;
      // The last block that keeps the answer within the cap, as a provider would suggest.
      const cut = BigInt((logs[maxResults] as RpcLogLike).blockNumber) - 1n;
      const sugTo = cut >= from ? cut : from;
      switch (opts.profile) {
        case 'alchemy':
          return err(
            id,
            -32602,
            `Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [${hex(from)}, ${hex(sugTo)}]`,
          );
        case 'infura':
          return err(id, -32005, `query returned more than ${maxResults} results`, { from: hex(from), to: hex(sugTo), limit: maxResults });
        case 'geth':
          return err(id, -32000, 'query timeout exceeded');
        case 'http413':
          return 'http413';
        default:
          return err(id, -32005, `query returned more than ${maxResults} results`);
      }
    }
    stats.getLogsServed++;
    if (opts.addBlockTimestamp && Array.isArray(logs)) {
      const ts = new Map<string, string>();
      for (const l of logs) {
        let t = ts.get(l.blockNumber);
        if (t === undefined) {
          const b = (await up({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: [l.blockNumber, false] })) as { result: { timestamp: string } };
          t = b.result.timestamp;
          ts.set(l.blockNumber, t);
        }
        l.blockTimestamp = t;
      }
    }
    return answer;
  }

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    void (async () => {
      const now = Date.now();
      const text = await readBody(req);
      stats.httpRequests++;
      const n = ++seq;
      if (last429At !== null) {
        const gap = now - last429At;
        if (stats.minGapAfter429Ms === null || gap < stats.minGapAfter429Ms) stats.minGapAfter429Ms = gap;
        last429At = null;
      }
      if (now < blockedUntil) stats.retryAfterViolations++;
      let parsed: Req | Req[];
      try {
        parsed = JSON.parse(text) as Req | Req[];
      } catch {
        send(res, 400, err(null, -32700, 'parse error'));
        return;
      }
      const items = Array.isArray(parsed) ? parsed : [parsed];
      if (Array.isArray(parsed)) stats.batches++;
      stats.getLogs += items.filter((i) => i.method === 'eth_getLogs').length;

      if (opts.rateLimitEvery && n % opts.rateLimitEvery === 0 && stats.rate429 < (opts.max429 ?? Infinity)) {
        stats.rate429++;
        const retryAfter = opts.retryAfter ?? '1';
        last429At = Date.now();
        blockedUntil = last429At + Number(retryAfter) * 1000;
        // Alchemy answers 429 with a JSON-RPC body; others with plain text.
        if (opts.profile === 'alchemy')
          send(res, 429, err(items[0]?.id ?? null, 429, 'Your app has exceeded its compute units per second capacity.'), { 'retry-after': retryAfter });
        else send(res, 429, 'Too Many Requests', { 'retry-after': retryAfter });
        return;
      }
      if (opts.dropEvery && n % opts.dropEvery === 0 && stats.drops < (opts.maxDrops ?? Infinity)) {
        stats.drops++;
        req.socket.destroy();
        return;
      }
      if (opts.stallEvery && n % opts.stallEvery === 0 && stats.stalls < (opts.maxStalls ?? Infinity)) {
        stats.stalls++;
        await new Promise((r) => setTimeout(r, opts.stallMs ?? 5_000));
        if (res.destroyed || req.socket.destroyed) return;
      }
      try {
        const out = await Promise.all(items.map(handle));
        if (out.includes('http413')) {
          send(res, 413, 'Payload Too Large');
          return;
        }
        send(res, 200, Array.isArray(parsed) ? out : out[0]);
      } catch (e) {
        send(res, 502, `upstream failed: ${String(e)}`);
      }
    })();
  });
  const url = await listen(server);
  return {
    url,
    get stats() {
      return stats;
    },
    reset() {
      stats = fresh();
    },
    close: () => closeServer(server),
  };
}
