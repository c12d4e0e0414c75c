import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { readSettings, SOURCE_SETTINGS } from '#shared/config.ts';
import { runDoctor } from '#shared/ops/doctor/run.ts';
import { probeSubgraph } from '#shared/ops/doctor/http-sources.ts';
import { formatDoctor } from '#shared/ops/doctor/format.ts';
import { versionAtLeast } from '#shared/ops/doctor/warehouse.ts';
import { generateDataset, startSimulatedSources, type SimulatedSources } from '#simulator/index.ts';

/** The market lists and the subgraph, against the simulated servers; the chain is in chain.test.ts. */
let sim: SimulatedSources;
let closedUrl: string;

beforeAll(async () => {
  sim = await startSimulatedSources({ dataset: generateDataset({ seed: 7, markets: 12, fills: 600 }) });
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  closedUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await sim?.close();
});

const settings = (env: Record<string, string>) => readSettings(SOURCE_SETTINGS, { ...sim.env, SOURCE_MAX_RETRIES: '1', ...env });

describe('doctor: the subgraph', () => {
  it("reports the subgraph's head block from _meta and no indexing errors", async () => {
    sim.subgraph.setHead({ number: 81_234_567, timestamp: 1_777_000_000 });
    try {
      const checks = await probeSubgraph({ url: sim.subgraphUrl, timeoutMs: 10_000 }, 1_777_000_000_000 + 90_000);
      expect(checks.map((c) => [c.name, c.status])).toEqual([
        ['subgraph: reachable', 'ok'],
        ['subgraph: head', 'ok'],
        ['subgraph: indexing errors', 'ok'],
      ]);
      expect(checks[1]!.detail).toBe('block 81,234,567, 90 s old');
      expect(checks[1]!.data).toMatchObject({ block: 81_234_567, timestamp: 1_777_000_000, hasIndexingErrors: false });
    } finally {
      sim.subgraph.setHead({});
    }
  });

  it('fails a subgraph whose _meta says it has indexing errors, and the report with it', async () => {
    sim.subgraph.setHead({ hasIndexingErrors: true });
    try {
      const report = await runDoctor({ settings: settings({ SYNC_SOURCES: 'markets,subgraph', CHAIN_V1_FILLS: 'false' }) });
      const errors = report.checks.find((c) => c.name === 'subgraph: indexing errors')!;
      expect(errors.status).toBe('fail');
      expect(errors.detail).toContain('hasIndexingErrors is true');
      expect(report.ok).toBe(false);
      expect(formatDoctor(report)).toMatch(/1 check failed: a sync would stop/);
    } finally {
      sim.subgraph.setHead({});
    }
  });
});

describe('doctor: the report', () => {
  it('checks each source the settings enable, in order, and passes healthy ones', async () => {
    const report = await runDoctor({ settings: settings({ SYNC_SOURCES: 'markets,subgraph', CHAIN_V1_FILLS: 'false' }) });
    expect(report.checks.map((c) => `${c.name}: ${c.status}`)).toEqual([
      'settings: ok',
      'markets: CLOB list: ok',
      'markets: Gamma list: ok',
      'subgraph: reachable: ok',
      'subgraph: head: ok',
      'subgraph: indexing errors: ok',
    ]);
    expect(report.ok).toBe(true);
    expect(report.settings).toMatchObject({ sources: 'markets, subgraph', 'market lists': 'clob, gamma, subgraph' });
    expect(formatDoctor(report)).toMatch(/^nothing would stop a sync$/m);
    // The market lists alone do not ask the subgraph.
    const lists = await runDoctor({ settings: settings({ SYNC_SOURCES: 'markets', MARKET_LISTS: 'clob' }) });
    expect(lists.checks.map((c) => c.name)).toEqual(['settings', 'markets: CLOB list']);
  });

  it('fails an unreachable source naming its host, the cause and what to set, and redacts keys in every URL', async () => {
    const report = await runDoctor({
      settings: settings({
        SYNC_SOURCES: 'markets',
        MARKET_LISTS: 'clob,gamma',
        POLYMARKET_MARKETS_URL: closedUrl,
        POLYGON_RPC_URL: 'https://polygon-mainnet.example.com/v2/abcdefghijklmnopqrstuvwxyz0123?apikey=hunter2',
      }),
    });
    const clob = report.checks.find((c) => c.name === 'markets: CLOB list')!;
    expect(clob.status).toBe('fail');
    expect(clob.detail).toContain(closedUrl);
    expect(clob.detail).toContain('ECONNREFUSED');
    expect(clob.detail).toContain('POLYMARKET_MARKETS_URL');
    expect(report.checks.find((c) => c.name === 'markets: Gamma list')!.status).toBe('ok');
    expect(report.ok).toBe(false);
    const text = formatDoctor(report) + JSON.stringify(report);
    expect(text).not.toContain('abcdefghijklmnopqrstuvwxyz');
    expect(text).not.toContain('hunter2');
    expect(report.settings['rpc url']).toBe('https://polygon-mainnet.example.com/v2/…?…');
  });

  it('fails settings that contradict each other (two V1 sources)', async () => {
    const report = await runDoctor({ settings: settings({ SYNC_SOURCES: 'markets,subgraph,chain', POLYGON_RPC_URL: closedUrl }) });
    expect(report.checks[0]).toMatchObject({ name: 'settings', status: 'fail' });
    expect(report.checks[0]!.detail).toContain('CHAIN_V1_FILLS=false');
    expect(report.ok).toBe(false);
  });

  it('reads ClickHouse versions the way the minimum is written', () => {
    expect(versionAtLeast('24.8.1.2', [24, 8])).toBe(true);
    expect(versionAtLeast('26.7.2.1', [24, 8])).toBe(true);
    expect(versionAtLeast('24.7.9.1', [24, 8])).toBe(false);
    expect(versionAtLeast('23.12.1', [24, 8])).toBe(false);
    expect(versionAtLeast('nonsense', [24, 8])).toBe(false);
  });
});
