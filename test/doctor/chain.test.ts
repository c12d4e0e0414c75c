import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readSettings, SOURCE_SETTINGS } from '#shared/config.ts';
import { catalogueFromSettings } from '#shared/sources/chain/from-settings.ts';
import { probeChain, type ChainProbeInput } from '#shared/ops/doctor/chain.ts';
import type { Check } from '#shared/ops/doctor/types.ts';
import { startRpcFront, type FrontOptions } from '#simulator/chain/rpc-front.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';

/**
 * The chain checks against a simulated Polygon behind a provider stand-in
 * (simulator/chain/rpc-front.ts) that hides one capability at a time.
 */
let world: ChainWorld;
let base: Omit<ChainProbeInput, 'url'>;

beforeAll(async () => {
  // Enough logs near the head that a 10,000-result cap is met within the span the node accepts.
  world = await startChainWorld({ seed: 5, v1: { fills: 5_000, markets: 6 }, v2: { fills: 2_500, markets: 4 } });
  const s = readSettings(SOURCE_SETTINGS, world.env);
  const catalogue = catalogueFromSettings(s);
  base = {
    timeoutMs: 20_000,
    expectedChainId: 137,
    useFinalized: true,
    confirmations: 0,
    filter: { addresses: catalogue.addresses, topics: catalogue.topics },
  };
});

afterAll(async () => {
  await world?.close();
});

/** The checks doctor makes of a front with `front`'s limits, by name. */
async function doctorBehind(front: Partial<FrontOptions>, input: Partial<ChainProbeInput> = {}): Promise<Record<string, Check>> {
  const rpc = await startRpcFront(world.rpcUrl, { profile: 'infura', chainId: 137, ...front });
  try {
    const checks = await probeChain({ ...base, ...input, url: rpc.url });
    return Object.fromEntries(checks.map((c) => [c.name.replace('chain: ', ''), c]));
  } finally {
    await rpc.close();
  }
}

const statuses = (c: Record<string, Check>) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.status]));

describe('doctor: the RPC provider', () => {
  it('reports a provider that has every capability as healthy, with what it measured', async () => {
    const c = await doctorBehind({ addBlockTimestamp: true, maxResults: 10_000 });
    expect(statuses(c)).toEqual({
      reachable: 'ok',
      'chain id': 'ok',
      head: 'ok',
      'eth_getLogs span': 'ok',
      'eth_getLogs results': 'ok',
      blockTimestamp: 'ok',
      rate: 'ok',
    });
    expect(c['chain id']!.detail).toBe('137 (Polygon)');
    const head = await fetch(world.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
    }).then(async (r) => BigInt(((await r.json()) as { result: string }).result));
    expect(c.head!.data).toMatchObject({ latest: head.toString(), finalized: head.toString(), safeHead: head.toString() });
    expect(c['eth_getLogs span']!.data).toMatchObject({ acceptedBlocks: 100_000, refusedBlocks: null });
    expect(c.rate!.data).toMatchObject({ calls: 10, throttled: 0, errors: 0 });
  });

  it('fails a provider without the "finalized" tag when the sync would use it, and warns when reading latest with no confirmations', async () => {
    const used = await doctorBehind({ noFinalizedTag: true });
    expect(used.head!.status).toBe('fail');
    expect(used.head!.detail).toContain('does not serve the "finalized" block tag');
    expect(used.head!.detail).toContain('CHAIN_USE_FINALIZED=false');
    expect(used.head!.data).toMatchObject({ finalized: null });

    const unused = await doctorBehind({ noFinalizedTag: true }, { useFinalized: false, confirmations: 0 });
    expect(unused.head!.status).toBe('warn');
    expect(unused.head!.detail).toContain('set CHAIN_CONFIRMATIONS');
    const deep = await doctorBehind({ noFinalizedTag: true }, { useFinalized: false, confirmations: 64 });
    expect(deep.head!.status).toBe('ok');
    expect(BigInt(deep.head!.data!.latest as string) - BigInt(deep.head!.data!.safeHead as string)).toBe(64n);
  });

  it('warns when logs lack blockTimestamp', async () => {
    const c = await doctorBehind({ addBlockTimestamp: false });
    expect(c.blockTimestamp).toMatchObject({ status: 'warn', data: { blockTimestamp: false } });
    expect(c.blockTimestamp!.detail).toContain('lack blockTimestamp');
  });

  it('finds a 1,000-block span cap, stated or not, in a few calls, and warns that the default span is above it', async () => {
    for (const profile of ['public-max', 'public-wide', 'quicknode'] as const) {
      const c = await doctorBehind({ profile, maxBlockSpan: 1_000 });
      const span = c['eth_getLogs span']!;
      expect(span.status, profile).toBe('warn');
      expect(span.data, profile).toMatchObject({ acceptedBlocks: 1_000, refusedBlocks: 2_000 });
      expect(span.data!.calls as number, profile).toBeLessThanOrEqual(6);
      expect(span.detail, profile).toContain('set CHAIN_MAX_BLOCK_SPAN=1000');
    }
    const fits = await doctorBehind({ profile: 'public-max', maxBlockSpan: 1_000 }, { maxBlockSpan: 1_000 });
    expect(fits['eth_getLogs span']!.status).toBe('ok');
  });

  it('finds a 10,000-result cap, and warns when CHAIN_MAX_LOGS_PER_REQUEST is above it', async () => {
    const c = await doctorBehind({ profile: 'infura', maxResults: 10_000 });
    expect(c['eth_getLogs results']).toMatchObject({ status: 'ok', data: { refused: true, statedCap: 10_000 } });
    expect(c['eth_getLogs results']!.detail).toContain('refuses more than 10,000 results');

    const over = await doctorBehind({ profile: 'infura', maxResults: 10_000 }, { maxLogsPerRequest: 20_000 });
    expect(over['eth_getLogs results']!.status).toBe('warn');
    expect(over['eth_getLogs results']!.detail).toContain('set CHAIN_MAX_LOGS_PER_REQUEST=10000');

    // Without a cap, the call that would exceed it comes back whole.
    const none = await doctorBehind({ profile: 'infura' });
    expect(none['eth_getLogs results']).toMatchObject({ status: 'ok', data: { refused: false } });
    expect(none['eth_getLogs results']!.data!.largestAccepted as number).toBeGreaterThan(10_000);
  });

  it('warns, and does not fail, when reading the "finalized" block fails only transiently (429 on every attempt)', async () => {
    const rpc = await startRpcFront(world.rpcUrl, { profile: 'infura', chainId: 137 });
    const proxy = await throttlingFinalized(rpc.url);
    try {
      const checks = await probeChain({ ...base, url: proxy.url });
      const c = Object.fromEntries(checks.map((x) => [x.name.replace('chain: ', ''), x]));
      expect(proxy.throttled()).toBe(3);
      expect(c.head!.status).toBe('warn');
      expect(c.head!.detail).toMatch(/the "finalized" block could not be read \(rate limited \(429\)/);
      expect(c.head!.detail).not.toContain('does not serve');
      expect(c.head!.data).toMatchObject({ finalized: null });
      // The other checks go on from the latest block.
      expect(c['eth_getLogs span']!.status).toBe('ok');
      expect(checks.filter((x) => x.status === 'fail')).toEqual([]);
    } finally {
      await proxy.close();
      await rpc.close();
    }
  });

  it('fails a provider on another chain', async () => {
    const amoy = await doctorBehind({ chainId: 80_002 });
    expect(amoy['chain id']).toMatchObject({ status: 'fail', data: { chainId: 80_002, expected: 137 } });
    expect(amoy['chain id']!.detail).toContain('expected 137 (Polygon)');
    // The simulated chain itself (Hardhat's 31337) is not Polygon either.
    const direct = await probeChain({ ...base, url: world.rpcUrl });
    expect(direct.find((x) => x.name === 'chain: chain id')).toMatchObject({ status: 'fail', data: { chainId: 31_337 } });
  });

  it('counts the 429s of a provider that throttles at a low rate, pacing its burst at the configured rate', async () => {
    const c = await doctorBehind({ rateLimitEvery: 2, retryAfter: '0' }, { requestsPerSecond: 20 });
    expect(c.rate!.status).toBe('warn');
    expect(c.rate!.data!.throttled as number).toBeGreaterThanOrEqual(4);
    expect(c.rate!.data!.callsPerSecond as number).toBeLessThanOrEqual(25);
    expect(c.rate!.detail).toMatch(/answered 429; set CHAIN_REQUESTS_PER_SECOND below/);
    // The other checks retried their 429s and still measured the provider.
    expect(c['chain id']!.status).toBe('ok');
    expect(c['eth_getLogs span']!.status).toBe('ok');
  });

  it('fails a provider that does not answer within the timeout, without waiting on it again', async () => {
    const c = await doctorBehind({ stallEvery: 1, maxStalls: 1, stallMs: 5_000 }, { timeoutMs: 300 });
    expect(Object.keys(c)).toEqual(['reachable']);
    expect(c.reachable!.status).toBe('fail');
    expect(c.reachable!.detail).toContain('timed out');
  });

  it('fails an unreachable provider with its host and the cause, and asks nothing more', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const checks = await probeChain({ ...base, url: `http://127.0.0.1:${port}/v2/abcdefghijklmnopqrstuvwxyz0123` });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'chain: reachable', status: 'fail' });
    expect(checks[0]!.detail).toContain(`127.0.0.1:${port}`);
    expect(checks[0]!.detail).not.toContain('abcdefghijklmnopqrstuvwxyz');
    expect(checks[0]!.detail).toContain('ECONNREFUSED');
    expect(checks[0]!.detail).toContain('POLYGON_RPC_URL');
  });
});

/** A provider in front of `upstream` that answers 429 (Retry-After: 0) to every eth_getBlockByNumber("finalized") and passes the rest on. */
async function throttlingFinalized(upstream: string): Promise<{ url: string; throttled: () => number; close: () => Promise<void> }> {
  let throttled = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const call = JSON.parse(body) as { method?: string; params?: unknown[] };
      if (call.method === 'eth_getBlockByNumber' && call.params?.[0] === 'finalized') {
        throttled++;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end('{"error":"Too Many Requests"}');
        return;
      }
      void fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => {
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, throttled: () => throttled, close: () => new Promise<void>((r) => server.close(() => r())) };
}
