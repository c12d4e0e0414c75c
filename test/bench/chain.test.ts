import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainProfiles, runChainBench, v2Estimates, type ChainBenchRun } from '#bench/parts/chain.ts';
import { profileLimit } from '#bench/parts/chain/measure.ts';
import { PROFILES } from '#bench/parts/chain/profiles.ts';
import { startProviderProxy } from '#bench/parts/chain/proxy.ts';
import { chainSection } from '#bench/parts/chain/report.ts';
import { startBenchWorld, type BenchWorld } from '#bench/parts/chain/world.ts';
import { closedPort } from '#test/cli/spawn-cli.ts';

/**
 * The chain part at a small size: the source and the scanner each read exactly
 * the world's fills through every profile, and the proxy enforces each
 * profile's rules. Its speed is not tested (the figures come from `npm run bench`).
 */
describe('npm run bench chain part', () => {
  // 1,000-odd fills over a few thousand blocks; the paid cap divided by 200 (50 results) so its rule binds.
  const options = {
    fills: 1_000,
    fillsPerTransaction: 10,
    maxEmptyBlocks: 30,
    seed: 5,
    fetchers: 4,
    paidScale: 200,
    profiles: ['paid', 'span-capped', 'public'] as const,
    timestamps: [true, false],
    inProcess: true,
    latencyMs: 0,
    // The paid profile at volume: a second, longer world (the source alone).
    volumeFills: 2_000,
    volumeMaxEmptyBlocks: 5,
    // And again without blockTimestamp, every block a second after its parent.
    volumeBlockSeconds: 1,
  };
  let run: ChainBenchRun;

  beforeAll(async () => {
    // Progress on stdout, so a run that stalls shows the profile it stalled in.
    const started = performance.now();
    run = await runChainBench(options, (line) => console.log(`chain smoke +${((performance.now() - started) / 1000).toFixed(1)} s: ${line}`));
  });

  it('every client reads exactly the world fills, once each, and the coverage tiles the range', () => {
    expect(run.runs).toHaveLength(6);
    expect(run.world.logs).toBe(run.world.fills);
    for (const r of run.runs) {
      expect(r.source.fills).toBe(run.world.fills);
      expect(r.scanner.fills).toBe(run.world.fills);
      expect(r.source.exact).toBe(true);
      expect(r.scanner.exact).toBe(true);
      expect(r.source.coverageExact).toBe(true);
      // The report's three factors (allowance used, requests answered, how full) multiply to the share it measures.
      expect(r.source.fetch.share).toBeCloseTo(r.source.shareOfLimit, 9);
      expect(r.source.fetch.answered).toBeGreaterThan(0);
    }
    expect(run.ok).toBe(true);
  });

  it('runs the paid profile again at volume, the source alone, with and without blockTimestamp, reading every fill once', () => {
    const v = run.volume!;
    expect(v.world.logs).toBe(v.world.fills);
    expect(v.world.fills).toBeGreaterThan(run.world.fills);
    expect(v.runs.map((r) => [r.profile.name, r.logTimestamps])).toEqual([
      ['paid', true],
      ['paid', false],
    ]);
    for (const r of v.runs) {
      expect(r.source.fills).toBe(v.world.fills);
      expect(r.source.exact && r.source.coverageExact).toBe(true);
      expect(r.source.fetch.share).toBeCloseTo(r.source.shareOfLimit, 9);
      expect(r.source.proxy.maxResultsServed).toBeLessThanOrEqual(r.profile.maxResults!);
      // The same profile as the main world's paid run, slowed down alike.
      expect(r.profile).toEqual(run.runs[0]!.profile);
    }
    expect(v.ok).toBe(true);
  });

  it('runs it once more without blockTimestamp on the world rebuilt at one block a second: the rule proves more timestamps', () => {
    const v = run.volume!;
    const clock = v.runs.find((r) => !r.logTimestamps)!;
    const steady = v.steady!;
    expect(steady.world.fills).toBe(v.world.fills);
    expect(steady.run.source.fills).toBe(steady.world.fills);
    expect(steady.run.source.exact && steady.run.source.coverageExact).toBe(true);
    // On the world's clock few blocks sit a second apart; at one block a second the rule proves more, in fewer header requests.
    expect(steady.run.source.timestampsInferred).toBeGreaterThan(clock.source.timestampsInferred);
    expect(steady.run.source.proxy.headerRequests).toBeLessThan(clock.source.proxy.headerRequests);
  });

  it('every answered request kept the profile caps, and the caps were met', () => {
    for (const r of run.runs) {
      for (const c of [r.source, r.scanner]) {
        if (r.profile.maxResults !== undefined) expect(c.proxy.maxResultsServed).toBeLessThanOrEqual(r.profile.maxResults);
        if (r.profile.maxSpan !== undefined) expect(c.proxy.maxSpanServed).toBeLessThanOrEqual(r.profile.maxSpan);
        // Headers are read exactly when the logs carry no blockTimestamp.
        if (r.logTimestamps) expect(c.proxy.headerCalls).toBe(0);
        else expect(c.proxy.headerCalls).toBeGreaterThan(0);
      }
      // The scanner's fixed 2,000-block span holds more than 50 fills: the paid cap refused it.
      if (r.profile.name === 'paid') expect(r.scanner.proxy.refusedResults).toBeGreaterThan(0);
      if (r.profile.name === 'public') expect(r.source.proxy.throttledAtRandom + r.scanner.proxy.throttledAtRandom).toBeGreaterThan(0);
    }
  });

  it('writes a section with every profile, the targets and the V2 estimate', () => {
    const estimates = v2Estimates(run.runs, 8, new Date('2026-12-01T00:00:00Z'), run.volume);
    expect(estimates.map((e) => e.profile)).toEqual(['paid', 'span-capped', 'public']);
    for (const e of estimates) expect(e.fills).toBeGreaterThan(200e6);
    const { section, targets } = chainSection({
      world: { ...run.world, fillsPerTransaction: 10, maxEmptyBlocks: 30 },
      runs: run.runs,
      volume: run.volume,
      estimates,
      fetchers: 4,
      paidScale: 200,
      machine: { cpuModel: 'test', cores: 2, memoryGiB: 1, node: 'v24', os: 'linux' },
      loadBefore: '0',
      loadAfter: '0',
      command: 'test',
    });
    expect(targets).toHaveLength(9);
    for (const name of ['paid', 'span-capped', 'public']) expect(section).toContain(`| ${name} |`);
    // The paid share is judged at volume, the main world's figure beside it; the others on the main world.
    const shares = targets.filter((t) => t.target.includes('% of the'));
    expect(shares.filter((t) => t.target.includes('at volume')).map((t) => t.target.split(' limit')[0])).toEqual([
      'chain source ≥ 85% of the paid, with blockTimestamp',
      'chain source ≥ 85% of the paid, without blockTimestamp',
      'chain source ≥ 85% of the paid, without blockTimestamp',
    ]);
    expect(shares.filter((t) => t.target.includes('the least time')).map((t) => t.target.split(' limit')[0])).toEqual([
      'chain source ≥ 85% of the paid, without blockTimestamp',
    ]);
    expect(shares.find((t) => t.target.includes('paid, with'))!.measured).toContain(`on the ${run.world.fills.toLocaleString('en-US')}-fill world above`);
    expect(section).toContain('**The paid profile at volume.**');
    // The speed-up is the main world's: its source against its scanner.
    const oneDecimal = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    const speedUp = targets.find((t) => t.target.includes('scanner, paid, with'))!;
    expect(speedUp.measured).toContain(`(${oneDecimal(run.runs[0]!.source.seconds)} s vs ${oneDecimal(run.runs[0]!.scanner.seconds)} s)`);
    expect(section).toContain('arXiv:2606.04217');
  });
});

describe('the provider proxy', () => {
  let w: BenchWorld;
  beforeAll(async () => {
    w = await startBenchWorld({ fills: 300, fillsPerTransaction: 10, maxEmptyBlocks: 5, seed: 2 });
  });
  afterAll(async () => {
    await w?.world.close();
  });

  const getLogs = (url: string, from: number, to: number, id = 1) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_getLogs', params: [{ fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` }] }),
    });

  it('refuses a span over the cap and results over the cap (with a range that fits), and throttles past the rate', async () => {
    const [paid, spanCapped] = chainProfiles({ paidScale: 100, profiles: ['paid', 'span-capped'] });
    let clock = 0;
    const a = await startProviderProxy({
      nodeUrl: w.world.rpcUrl,
      index: w.index,
      profile: { ...paid!, latencyMs: 0 },
      logTimestamps: true,
      random: () => 1,
      now: () => clock,
    });
    const b = await startProviderProxy({
      nodeUrl: w.world.rpcUrl,
      index: w.index,
      profile: { ...spanCapped!, latencyMs: 0, maxSpan: 10 },
      logTimestamps: false,
      random: () => 1,
      now: () => clock,
    });
    try {
      const refused = (await (await getLogs(a.url, w.firstBlock, w.lastBlock)).json()) as { error: { message: string } };
      expect(refused.error.message).toMatch(/Log response size exceeded.*this block range should work: \[0x[0-9a-f]+, 0x[0-9a-f]+\]/);
      const [, to] = /\[(0x[0-9a-f]+), (0x[0-9a-f]+)\]/.exec(refused.error.message)!.slice(1);
      const fits = (await (await getLogs(a.url, w.firstBlock, Number(BigInt(to!)))).json()) as { result: { blockTimestamp?: string }[] };
      expect(fits.result.length).toBeGreaterThan(0);
      expect(fits.result.length).toBeLessThanOrEqual(100);
      expect(fits.result[0]?.blockTimestamp).toBeDefined();
      expect(a.stats.refusedResults).toBe(1);

      const wide = (await (await getLogs(b.url, w.firstBlock, w.firstBlock + 10)).json()) as { error: { message: string } };
      expect(wide.error.message).toBe('exceed maximum block range: 10');
      const ok = (await (await getLogs(b.url, w.firstBlock, w.firstBlock + 9)).json()) as { result: { blockTimestamp?: string }[] };
      expect(ok.result.every((l) => l.blockTimestamp === undefined)).toBe(true);

      // The clock stands still: the bucket (a second at 25 calls/s, 25 requests) empties, then every request is a 429.
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await getLogs(b.url, w.firstBlock, w.firstBlock)).status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(b.stats.throttledByRate).toBe(statuses.filter((s) => s === 429).length);
      expect(b.stats.accepted).toBe(25);
      clock += 1_000;
      expect((await getLogs(b.url, w.firstBlock, w.firstBlock)).status).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('answers the header of a block with logs from its index, as the node does, and counts it', async () => {
    const [span] = chainProfiles({ paidScale: 1, profiles: ['span-capped'] });
    // Behind it, a node that refuses every connection: what it answers, it answers from its index.
    const nodeUrl = `http://127.0.0.1:${await closedPort()}`;
    const p = await startProviderProxy({ nodeUrl, index: w.index, profile: { ...span!, latencyMs: 0 }, logTimestamps: false, random: () => 1 });
    try {
      const withLogs = [...new Set(w.index.logs.map((l) => l.block))];
      expect(w.index.headers.size).toBe(withLogs.length);
      const batch = withLogs.slice(0, 2).map((b, id) => ({ jsonrpc: '2.0', id, method: 'eth_getBlockByNumber', params: [`0x${b.toString(16)}`, false] }));
      const ask = async (url: string) =>
        (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) })).json()) as {
          id: number;
          result: { number: string; timestamp: string; hash: string };
        }[];
      const [fromProxy, fromNode] = [await ask(p.url), await ask(w.world.rpcUrl)];
      expect(fromProxy).toEqual(fromNode);
      expect(fromProxy.map((a) => Number(BigInt(a.result.number)))).toEqual(withLogs.slice(0, 2));
      expect(p.stats.headerCalls).toBe(2);
      expect(p.stats.headerRequests).toBe(1);
    } finally {
      await p.close();
    }
  });

  it('states the limit by the cap that binds', () => {
    const world = { logs: 1_000, firstBlock: 1, lastBlock: 10_000 };
    const [paid, span, pub] = PROFILES;
    expect(profileLimit(paid!, world).limit).toBe(250_000);
    expect(profileLimit(span!, world).limit).toBeCloseTo(25 * 2_000 * 0.1);
    expect(profileLimit(pub!, world).limit).toBeCloseTo(10 * 1_000 * 0.1);
  });
});
