/**
 * The soak's JSON-RPC provider: an HTTP front on the simulated chain (the EVM
 * world's node) that fails a share of requests as real providers fail them.
 * The chain source reaches the world only through it (POLYGON_RPC_URL), so
 * neither the source nor the simulator changes.
 *
 * What a provider sends, from its own documentation:
 * - Alchemy, https://www.alchemy.com/docs/reference/throughput: over capacity,
 *   HTTP 429 (Too Many Requests); its JSON-RPC error code is 429.
 * - A 429 with `Retry-After` (RFC 9110 §10.2.3), as rate-limiting proxies in
 *   front of nodes send it.
 * - 500/502/503 from the provider's gateway; a request held until the client
 *   gives up; a connection closed without an answer.
 * - The two eth_getLogs refusals, as Infura and Alchemy answer them (quoted in
 *   https://github.com/ethers-io/ethers.js/issues/4703): Infura -32005 "query
 *   returned more than 10000 results. Try with this block range [0x…, 0x…]."
 *   with data {from, limit, to}; Alchemy -32602 "Log response size exceeded. …
 *   this block range should work: [0x…, 0x…]".
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChainFaultOptions {
  /** Share of HTTP requests failed per family (429s, 5xx); hangs and cuts are rarer (see CHAIN_FAULT_MIX). */
  rate: number;
  /** eth_getLogs answers with more logs than this are refused as Infura refuses them. */
  maxResults: number;
  /** Draws in [0, 1), deterministic for the soak's seed. */
  random: () => number;
  /** Seconds in the Retry-After of the 429s that carry one. */
  retryAfterSeconds?: number;
}

export type ChainFaultKind =
  '429' | '429 Retry-After' | '500' | '502' | '503' | 'hang' | 'cut' | 'getLogs refused: more than N results' | 'getLogs refused: response size';

/** Each kind's share of requests, as a multiple of the rate. */
export const CHAIN_FAULT_MIX: readonly (readonly [ChainFaultKind, number])[] = [
  ['429', 1 / 2],
  ['429 Retry-After', 1 / 2],
  ['500', 1 / 3],
  ['502', 1 / 3],
  ['503', 1 / 3],
  ['hang', 1 / 10],
  ['cut', 1 / 4],
];

/** Every request-level kind once at the start, whatever the draws, spaced so the planner's retries are not all spent on one call. */
const SCRIPT: readonly ChainFaultKind[] = ['429', '429 Retry-After', '500', '502', '503', 'hang', 'cut'];
const SCRIPT_EVERY = 3;

export interface ChainFaultProxy {
  url: string;
  /** Faults injected, by kind. */
  injected: Partial<Record<ChainFaultKind, number>>;
  requests: number;
  close(): Promise<void>;
}

interface RpcRequest {
  id?: unknown;
  method?: string;
  params?: unknown[];
}
interface RpcAnswer {
  id?: unknown;
  result?: unknown;
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startChainFaultProxy(upstream: string, o: ChainFaultOptions): Promise<ChainFaultProxy> {
  const proxy: ChainFaultProxy = { url: '', injected: {}, requests: 0, close: async () => undefined };
  const note = (k: ChainFaultKind) => (proxy.injected[k] = (proxy.injected[k] ?? 0) + 1);
  let sizeRefusalDone = false;

  const draw = (n: number): ChainFaultKind | null => {
    if (n % SCRIPT_EVERY === 0 && n / SCRIPT_EVERY <= SCRIPT.length) return SCRIPT[n / SCRIPT_EVERY - 1]!;
    let r = o.random();
    for (const [kind, share] of CHAIN_FAULT_MIX) {
      r -= o.rate * share;
      if (r < 0) return kind;
    }
    return null;
  };

  /** Forwards one call; an eth_getLogs answer above the cap becomes Infura's refusal, and the first wide one Alchemy's. */
  const forward = async (call: RpcRequest): Promise<unknown> => {
    const res = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call) });
    const answer = (await res.json()) as RpcAnswer;
    if (call.method !== 'eth_getLogs' || !Array.isArray(answer.result)) return answer;
    const filter = (call.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
    const from = BigInt(filter.fromBlock ?? '0x0');
    const to = BigInt(filter.toBlock ?? '0x0');
    const logs = answer.result as { blockNumber: string }[];
    const refuse = (code: number, message: string, data?: unknown) => ({
      jsonrpc: '2.0',
      id: call.id ?? null,
      error: { code, message, ...(data ? { data } : {}) },
    });
    if (logs.length > o.maxResults) {
      note('getLogs refused: more than N results');
      // The last block that keeps the answer within the cap, as Infura suggests it.
      const cut = BigInt(logs[o.maxResults]!.blockNumber) - 1n;
      const fits = hex(cut >= from ? cut : from);
      return refuse(-32005, `query returned more than ${o.maxResults} results. Try with this block range [${hex(from)}, ${fits}].`, {
        from: hex(from),
        limit: o.maxResults,
        to: fits,
      });
    }
    if (!sizeRefusalDone && to > from) {
      // Once, whatever the size: a provider that caps by bytes, not by count (no cap for the source to learn).
      sizeRefusalDone = true;
      note('getLogs refused: response size');
      return refuse(
        -32602,
        `Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [${hex(from)}, ${hex(from + (to - from) / 2n)}]`,
      );
    }
    return answer;
  };

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': body.startsWith('{') || body.startsWith('[') ? 'application/json' : 'text/plain', ...headers });
    res.end(body);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const n = ++proxy.requests;
      const fault = draw(n);
      let parsed: RpcRequest | RpcRequest[];
      try {
        parsed = JSON.parse(text) as RpcRequest | RpcRequest[];
      } catch {
        send(res, 400, JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
        return;
      }
      const first = Array.isArray(parsed) ? parsed[0] : parsed;
      if (fault) note(fault);
      switch (fault) {
        case '429':
          send(
            res,
            429,
            JSON.stringify({
              jsonrpc: '2.0',
              id: first?.id ?? null,
              error: { code: 429, message: 'Your app has exceeded its compute units per second capacity.' },
            }),
          );
          return;
        case '429 Retry-After':
          send(res, 429, 'Too Many Requests', { 'retry-after': String(o.retryAfterSeconds ?? 1) });
          return;
        case '500':
          send(res, 500, 'Internal Server Error');
          return;
        case '502':
          send(res, 502, 'Bad Gateway');
          return;
        case '503':
          send(res, 503, 'Service Unavailable');
          return;
        case 'hang':
          // No answer: the client's own timeout ends it (or the proxy's close).
          return;
        case 'cut':
          req.socket.destroy();
          return;
        default:
      }
      try {
        const out = Array.isArray(parsed) ? await Promise.all(parsed.map(forward)) : await forward(parsed);
        send(res, 200, JSON.stringify(out));
      } catch (err) {
        send(res, 502, `upstream failed: ${(err as Error).message}`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
