import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readSettings, SOURCE_SETTINGS } from '#shared/config.ts';
import { sourceHttp } from '#shared/sources/http.ts';
import { sourcePacer, turnsGranted } from '#shared/sources/pacing.ts';
import { buildSources } from '#shared/sources/registry.ts';
import { chainSourceOptionsFromSettings } from '#shared/sources/chain/index.ts';
import { ChainRpc } from '#shared/sources/chain/rpc.ts';
import { newStats } from '#shared/sources/chain/stats.ts';
import type { AnySource } from '#shared/sources/source.ts';

/**
 * Client-side pacing against servers that enforce a token bucket and answer
 * 429 + Retry-After beyond it. Rates are measured generously: the claims are
 * "no 429s", "never faster than the limit plus the burst" and "most of the
 * limit used", not exact timings.
 */

type Answer = (req: IncomingMessage, body: string) => { status?: number; headers?: Record<string, string>; body: unknown };

interface LimitedServer {
  url: string;
  /** Arrival time (ms, performance.now) of every request, 429s included. */
  arrivals: number[];
  throttled: number;
  close(): Promise<void>;
}

/** A node:http server with a token bucket of `burst` tokens refilled at `perSecond`. */
async function startLimitedServer(opts: { perSecond: number; burst: number; answer: Answer }): Promise<LimitedServer> {
  let tokens = opts.burst;
  let refilledAt = performance.now();
  const state: LimitedServer = { url: '', arrivals: [], throttled: 0, close: async () => {} };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const now = performance.now();
    state.arrivals.push(now);
    tokens = Math.min(opts.burst, tokens + ((now - refilledAt) / 1000) * opts.perSecond);
    refilledAt = now;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (tokens < 1) {
        state.throttled++;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ error: 'Too Many Requests' }));
        return;
      }
      tokens -= 1;
      const a = opts.answer(req, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}

/** The most requests that arrived within any one second. */
function busiestSecond(arrivals: readonly number[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < arrivals.length; i++) {
    while (j < arrivals.length && (arrivals[j] as number) < (arrivals[i] as number) + 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/** Requests per second between the first and the last arrival. */
function observedRate(arrivals: readonly number[]): number {
  const span = ((arrivals.at(-1) as number) - (arrivals[0] as number)) / 1000;
  return (arrivals.length - 1) / span;
}

/** `callers` loops, each repeating `work` until `ms` have passed. */
async function hammer(callers: number, ms: number, work: (caller: number) => Promise<unknown>): Promise<void> {
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      while (performance.now() < until) await work(caller);
    }),
  );
}

const json: Answer = () => ({ body: { ok: true } });

let servers: LimitedServer[] = [];
async function limited(perSecond: number, burst: number, answer: Answer = json): Promise<LimitedServer> {
  const s = await startLimitedServer({ perSecond, burst, answer });
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe('a paced source client', () => {
  it('keeps 4 concurrent callers at the limit with no 429s', async () => {
    const limit = 20;
    const burst = 10;
    const server = await limited(limit, burst);
    const http = sourceHttp({ timeoutMs: 5_000, maxRetries: 3, pace: { source: 'markets', requestsPerSecond: limit } });

    await hammer(4, 3_000, () => http.get(server.url).json());

    expect(server.throttled).toBe(0);
    expect(busiestSecond(server.arrivals)).toBeLessThanOrEqual(limit + burst);
    expect(observedRate(server.arrivals)).toBeGreaterThanOrEqual(0.85 * limit);
    expect(observedRate(server.arrivals)).toBeLessThanOrEqual(limit * 1.1);
  });

  it('(control) unpaced, the same server throttles the same callers', async () => {
    const server = await limited(20, 10);
    const http = sourceHttp({ timeoutMs: 5_000, maxRetries: 0 });
    await Promise.allSettled(Array.from({ length: 40 }, () => http.get(server.url).json()));
    expect(server.throttled).toBeGreaterThanOrEqual(10);
  });

  it('spaces turns 1/rate apart on its own clock, fractional rates included', async () => {
    // A fake clock: the pacer's schedule is its contract, and no busy machine can stretch or squeeze it.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      for (const perSecond of [5, 0.5]) {
        const pacer = sourcePacer({ source: 'gamma', requestsPerSecond: perSecond });
        const started = Date.now();
        const turns: number[] = [];
        const waiting = Promise.all(Array.from({ length: 4 }, () => pacer().then(() => turns.push(Date.now() - started))));
        await vi.advanceTimersByTimeAsync((4 * 1000) / perSecond);
        await waiting;
        const spacing = 1000 / perSecond;
        expect(turns).toEqual([0, spacing, 2 * spacing, 3 * spacing]);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('paces retries too: every attempt waits for its own turn', async () => {
    // Three 429s that ask for an immediate retry, then an answer.
    let refusals = 3;
    const server = await limited(1_000, 1_000, () =>
      refusals-- > 0 ? { status: 429, headers: { 'retry-after': '0' }, body: { error: 'slow down' } } : { body: { ok: true } },
    );
    // A rate of its own, so its pacer's count is this test's alone.
    const pace = { source: 'markets' as const, requestsPerSecond: 5.5 };
    const http = sourceHttp({ timeoutMs: 5_000, maxRetries: 5, pace });
    const before = turnsGranted(pace);

    await expect(http.get(server.url).json()).resolves.toEqual({ ok: true });

    // Four requests reached the server, and the pacer granted four turns: each retry waited for a turn of its own
    // (the spacing of turns is the pacer's, tested on a fake clock above).
    expect(server.arrivals).toHaveLength(4);
    expect(turnsGranted(pace) - before).toBe(4);
  });

  it('stays abortable while it waits for its turn, and an aborted wait sends nothing', async () => {
    const server = await limited(1_000, 1_000);
    const pace = { source: 'markets' as const, requestsPerSecond: 1 };
    const http = sourceHttp({ timeoutMs: 5_000, maxRetries: 3, pace });
    await http.get(server.url).json();

    // The next turn is a second away; the turn after it belongs to the probe below.
    const controller = new AbortController();
    const waiting = http.get(server.url, { signal: controller.signal }).json();
    const probe = sourcePacer(pace)().then(() => 'the next turn came' as const);
    controller.abort();
    // The abort ends the wait before any turn comes: an ordering, not a time.
    expect(
      await Promise.race([
        waiting.then(
          () => 'answered' as const,
          (e: unknown) => e,
        ),
        probe,
      ]),
    ).toMatchObject({ name: 'AbortError' });

    // The probe's turn comes after the one the aborted request had reserved: that request was never sent.
    await probe;
    expect(server.arrivals).toHaveLength(1);
  });

  it('shares one allowance between every client of a source in the process', () => {
    const a = sourcePacer({ source: 'subgraph', requestsPerSecond: 7 });
    const b = sourcePacer({ source: 'subgraph', requestsPerSecond: 7 });
    expect(a).toBe(b);
    expect(sourcePacer({ source: 'markets', requestsPerSecond: 7 })).not.toBe(a);
  });
});

describe('pace from the settings', () => {
  it('paces each source, separately, at its allowance divided by SOURCE_RATE_SHARED_BY', async () => {
    const sharedBy = 2;
    const marketsTotal = 24;
    const subgraphTotal = 16;
    const marketsServer = await limited(marketsTotal / sharedBy, marketsTotal / sharedBy, () => ({ body: { data: [], next_cursor: 'LTE=' } }));
    const subgraphServer = await limited(subgraphTotal / sharedBy, subgraphTotal / sharedBy, () => ({ body: { data: { orderFilledEvents: [] } } }));
    const sources = buildSources(
      readSettings(SOURCE_SETTINGS, {
        SYNC_SOURCES: 'markets,subgraph',
        POLYMARKET_MARKETS_URL: marketsServer.url,
        MARKET_LISTS: 'clob',
        POLYMARKET_SUBGRAPH_URL: subgraphServer.url,
        MARKETS_REQUESTS_PER_SECOND: String(marketsTotal),
        SUBGRAPH_REQUESTS_PER_SECOND: String(subgraphTotal),
        SOURCE_RATE_SHARED_BY: String(sharedBy),
      }),
    );
    const markets = sources.markets as AnySource;
    const subgraph = sources.subgraph as AnySource;

    // Enough callers that a turn always finds one waiting, even on a busy machine.
    await hammer(16, 2_500, (caller) => (caller % 2 === 0 ? markets.fetchPage({ list: 'clob' }, null) : subgraph.fetchPage({ fromTs: 0, toTs: 1 }, null)));

    for (const [server, total] of [
      [marketsServer, marketsTotal],
      [subgraphServer, subgraphTotal],
    ] as const) {
      const share = total / sharedBy;
      expect(server.throttled).toBe(0);
      expect(busiestSecond(server.arrivals)).toBeLessThanOrEqual(2 * share);
      expect(observedRate(server.arrivals)).toBeGreaterThanOrEqual(0.85 * share);
      expect(observedRate(server.arrivals)).toBeLessThanOrEqual(share * 1.1);
    }
  });

  it('leaves a source without an allowance unpaced', () => {
    const s = readSettings(SOURCE_SETTINGS, {});
    expect(s.SUBGRAPH_REQUESTS_PER_SECOND).toBeUndefined();
    expect(s.SOURCE_RATE_SHARED_BY).toBe(1);
    expect(chainSourceOptionsFromSettings(s).pace).toBeUndefined();
    expect(chainSourceOptionsFromSettings({ ...s, CHAIN_REQUESTS_PER_SECOND: 12, SOURCE_RATE_SHARED_BY: 4 }).pace).toEqual({
      source: 'chain',
      requestsPerSecond: 3,
    });
  });
});

describe('a paced chain RPC client', () => {
  /** A JSON-RPC node that knows every block and answers batches. */
  const rpcAnswer: Answer = (_req, body) => {
    const one = (call: { id: number; method: string; params: unknown[] }) => {
      if (call.method === 'eth_blockNumber') return { jsonrpc: '2.0', id: call.id, result: '0x100' };
      const n = BigInt(call.params[0] as string);
      return {
        jsonrpc: '2.0',
        id: call.id,
        result: { number: `0x${n.toString(16)}`, hash: `0x${n.toString(16).padStart(64, '0')}`, timestamp: `0x${(1_700_000_000n + n).toString(16)}` },
      };
    };
    const parsed = JSON.parse(body) as Parameters<typeof one>[0] | Parameters<typeof one>[0][];
    return { body: Array.isArray(parsed) ? parsed.map(one) : one(parsed) };
  };

  it('paces single calls and each JSON-RPC batch, with no 429s', async () => {
    const limit = 20;
    const burst = 10;
    const batchSize = 5;
    const server = await limited(limit, burst, rpcAnswer);
    const stats = newStats();
    const rpc = new ChainRpc({
      rpcUrl: server.url,
      timeoutMs: 5_000,
      maxRetries: 3,
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 1_000,
      maxRetryAfterMs: 5_000,
      blockBatchSize: batchSize,
      timestampCacheSize: 10,
      stats,
      pacer: sourcePacer({ source: 'chain', requestsPerSecond: limit }),
    });

    let nextBlock = 1n;
    let headers = 0;
    await hammer(4, 2_500, async (caller) => {
      if (caller > 0) return rpc.blockNumber();
      // 4 batches of 5 headers per call, never cached.
      const blocks = Array.from({ length: 4 * batchSize }, () => nextBlock++);
      headers += (await rpc.getHeaders(blocks)).size;
    });

    expect(server.throttled).toBe(0);
    expect(stats.rateLimited).toBe(0);
    expect(headers).toBeGreaterThan(0);
    // Batches stay batches: at least 5 headers for every HTTP request spent on them.
    expect(stats.rpcCalls.eth_getBlockByNumber).toBeGreaterThanOrEqual(batchSize * (stats.httpRequests - (stats.rpcCalls.eth_blockNumber ?? 0)));
    expect(busiestSecond(server.arrivals)).toBeLessThanOrEqual(limit + burst);
    expect(observedRate(server.arrivals)).toBeGreaterThanOrEqual(0.85 * limit);
  });
});
