import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody } from '#simulator/chain/node.ts';
import type { LogIndex } from './log-index.ts';
import type { ProviderProfile } from './profiles.ts';

/** What a provider proxy saw and did; the smoke test checks the rules against it. */
export interface ProxyStats {
  /** HTTP requests received (a JSON-RPC batch is one). */
  requests: number;
  /** HTTP requests answered (not throttled). */
  accepted: number;
  /** Answered 429 because the rate was exceeded. */
  throttledByRate: number;
  /** Answered 429 at random (the public profile's "frequent 429s"). */
  throttledAtRandom: number;
  getLogsCalls: number;
  /** eth_getLogs refused: span over the cap, results over the cap. */
  refusedSpan: number;
  refusedResults: number;
  /** Results of the eth_getLogs calls answered. */
  results: number;
  /** Largest answered eth_getLogs, in results and in blocks. */
  maxResultsServed: number;
  maxSpanServed: number;
  /** eth_getBlockByNumber calls (JSON-RPC calls, batched or not) and the HTTP requests that carried them. */
  headerCalls: number;
  headerRequests: number;
  /** Other JSON-RPC calls. */
  otherCalls: number;
}

export interface ProviderProxy {
  url: string;
  stats: ProxyStats;
  resetStats(): void;
  close(): Promise<void>;
}

export const newProxyStats = (): ProxyStats => ({
  requests: 0,
  accepted: 0,
  throttledByRate: 0,
  throttledAtRandom: 0,
  getLogsCalls: 0,
  refusedSpan: 0,
  refusedResults: 0,
  results: 0,
  maxResultsServed: 0,
  maxSpanServed: 0,
  headerCalls: 0,
  headerRequests: 0,
  otherCalls: 0,
});

interface Call {
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

type Filter = { address?: string | string[]; topics?: (string | string[] | null)[]; fromBlock?: string; toBlock?: string };

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * A provider plan in front of the simulated node: eth_getLogs is served from
 * the node's logs (read once into `index`, as a provider serves them from its
 * own index), under the profile's span and result caps with the wording real
 * providers use (so the source recognises them as it would in production);
 * every HTTP request draws on a token bucket at the profile's rate (a
 * second's worth of burst) and is answered 429 when it is empty; the public
 * profile also answers a share of requests 429 at random. Headers of blocks
 * with logs come from the index too; other headers and other calls go to
 * the node. Every answer waits the profile's latency.
 */
export async function startProviderProxy(opts: {
  nodeUrl: string;
  index: LogIndex;
  profile: ProviderProfile;
  /** Keep the logs' blockTimestamp (some providers send it). */
  logTimestamps: boolean;
  random: () => number;
  /** The rate limit's clock, ms (default performance.now; a test freezes it). */
  now?: () => number;
}): Promise<ProviderProxy> {
  const { index, profile, random } = opts;
  let stats = newProxyStats();
  const capacity = Math.max(2, profile.callsPerSecond);
  let tokens = capacity;
  const now = opts.now ?? (() => performance.now());
  let refilledAt = now();

  function takeToken(): boolean {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - refilledAt) / 1000) * profile.callsPerSecond);
    refilledAt = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  async function node(body: unknown): Promise<unknown> {
    const res = await fetch(opts.nodeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json();
  }

  function getLogs(id: unknown, f: Filter): string {
    stats.getLogsCalls++;
    const from = Number(BigInt(f.fromBlock ?? '0x0'));
    const to = Number(BigInt(f.toBlock ?? hex(index.lastBlock)));
    const span = to - from + 1;
    if (profile.maxSpan !== undefined && span > profile.maxSpan) {
      stats.refusedSpan++;
      return JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32000, message: `exceed maximum block range: ${profile.maxSpan}` } });
    }
    const addresses = f.address === undefined ? null : new Set((Array.isArray(f.address) ? f.address : [f.address]).map((a) => a.toLowerCase()));
    const t0 = f.topics?.[0];
    const topics = t0 === undefined || t0 === null ? null : new Set((Array.isArray(t0) ? t0 : [t0]).map((t) => t.toLowerCase()));
    const cap = profile.maxResults ?? Number.POSITIVE_INFINITY;
    const out: string[] = [];
    for (let i = index.firstAtOrAfter(from); i < index.logs.length; i++) {
      const l = index.logs[i];
      if (!l || l.block > to) break;
      if ((addresses && !addresses.has(l.address)) || (topics && !topics.has(l.topic0))) continue;
      if (out.length === cap) {
        // Alchemy's answer to a response over its cap, with a range that fits.
        stats.refusedResults++;
        const fits = Math.max(from, l.block - 1);
        const message =
          'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, ' +
          `or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [${hex(from)}, ${hex(fits)}]`;
        return JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32602, message } });
      }
      out.push(opts.logTimestamps ? l.json : l.jsonWithoutTimestamp);
    }
    stats.results += out.length;
    stats.maxResultsServed = Math.max(stats.maxResultsServed, out.length);
    stats.maxSpanServed = Math.max(stats.maxSpanServed, span);
    return `{"jsonrpc":"2.0","id":${JSON.stringify(id ?? null)},"result":[${out.join(',')}]}`;
  }

  async function answer(c: Call): Promise<string> {
    const params = Array.isArray(c.params) ? (c.params as unknown[]) : [];
    if (c.method === 'eth_getLogs') return getLogs(c.id, (params[0] ?? {}) as Filter);
    if (c.method === 'eth_getBlockByNumber') {
      stats.headerCalls++;
      const [block, fullTransactions] = params;
      const indexed = typeof block === 'string' && block.startsWith('0x') && fullTransactions !== true ? index.headers.get(Number(BigInt(block))) : undefined;
      if (indexed !== undefined) return `{"jsonrpc":"2.0","id":${JSON.stringify(c.id ?? null)},"result":${indexed}}`;
    } else stats.otherCalls++;
    return JSON.stringify(await node({ jsonrpc: '2.0', id: c.id ?? null, method: c.method, params }));
  }

  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    stats.requests++;
    const started = performance.now();
    const reply = async (status: number, text: string) => {
      const left = profile.latencyMs - (performance.now() - started);
      if (left > 0) await wait(left);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    const parsed = JSON.parse(body) as Call | Call[];
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    if (calls.some((c) => c.method === 'eth_getBlockByNumber')) stats.headerRequests++;
    const throttled = !takeToken() ? 'rate' : random() < profile.randomThrottleShare ? 'random' : null;
    if (throttled) {
      if (throttled === 'rate') stats.throttledByRate++;
      else stats.throttledAtRandom++;
      await reply(429, JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: 429, message: 'Too Many Requests' } }));
      return;
    }
    stats.accepted++;
    const answers = await Promise.all(calls.map(answer));
    await reply(200, Array.isArray(parsed) ? `[${answers.join(',')}]` : (answers[0] as string));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: String(err) } }));
    });
  });
  const url = await listen(server);
  return {
    url,
    get stats() {
      return stats;
    },
    resetStats() {
      stats = newProxyStats();
    },
    close: () => closeServer(server),
  };
}
