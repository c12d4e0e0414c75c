import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { doctor, DOCTOR_DEFAULTS } from '#local/cli/doctor.ts';
import { generateDataset, startSimulatedSources, type SimulatedSources } from '#simulator/index.ts';

/**
 * The command in-process: `doctor --simulated` over the embedded engine
 * (one chDB directory for this file), and a ClickHouse server that refuses.
 */
let dataDir: string;
let sim: SimulatedSources;
let refusing: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'doctor-'));
  sim = await startSimulatedSources({ dataset: generateDataset({ seed: 9, markets: 8, fills: 300 }) });
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  refusing = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await sim?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('polymarket-sync doctor', () => {
  it('--simulated: a healthy report over the simulated sources and the embedded ClickHouse', async () => {
    const notes: string[] = [];
    const { report, text } = await doctor({ ...DOCTOR_DEFAULTS, simulated: true, markets: 8, fills: 2_000 }, { SYNC_DATA_DIR: dataDir }, (l) => notes.push(l));
    expect(notes.join('\n')).toMatch(/^simulated sources: /);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
    expect(byName).toEqual({
      settings: 'ok',
      'markets: CLOB list': 'ok',
      'markets: Gamma list': 'ok',
      'chain: reachable': 'ok',
      'chain: chain id': 'ok',
      'chain: head': 'ok',
      'chain: eth_getLogs span': 'ok',
      'chain: eth_getLogs results': 'ok',
      // The simulated node, like most providers, sends logs without blockTimestamp.
      'chain: blockTimestamp': 'warn',
      // Its blocks are spaced by the world's clock, seconds to minutes apart: nothing is proven, which is no fault.
      'chain: block times': 'ok',
      'chain: rate': 'ok',
      'clickhouse: version': 'ok',
      'clickhouse: features': 'ok',
      'clickhouse: schema': 'ok',
    });
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.name === 'chain: chain id')!.detail).toBe('31337');
    expect(report.checks.find((c) => c.name === 'clickhouse: features')!.data).toMatchObject({
      features: expect.arrayContaining([
        'deduplicate_merge_projection_mode',
        'lightweight_mutation_projection_mode',
        'UInt256',
        'Int256',
        'ReplacingMergeTree',
      ]),
    });
    expect(report.settings).toMatchObject({ sources: 'markets, chain', 'data dir': dataDir, 'chain genesis': 'block 33,605,403' });
    expect(text).toMatch(/^check +status +detail$/m);
    expect(text).toMatch(/^chain: blockTimestamp +WARN +logs lack blockTimestamp/m);
    expect(text).toMatch(/^nothing would stop a sync \(1 warning\)$/m);
    // --json prints this object: it survives the trip.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('fails a ClickHouse server that refuses connections, naming its host', async () => {
    const { report, text } = await doctor(
      { ...DOCTOR_DEFAULTS },
      { ...sim.env, SYNC_SOURCES: 'markets', MARKET_LISTS: 'clob', CLICKHOUSE_URL: refusing, SYNC_DATA_DIR: dataDir },
    );
    const ch = report.checks.find((c) => c.name.startsWith('clickhouse'))!;
    expect(ch).toMatchObject({ name: 'clickhouse: reachable', status: 'fail' });
    expect(ch.detail).toContain(refusing.replace('http://', ''));
    expect(ch.detail).toContain('ECONNREFUSED');
    expect(ch.detail).toContain('CLICKHOUSE_URL');
    expect(report.checks.find((c) => c.name === 'markets: CLOB list')!.status).toBe('ok');
    expect(report.ok).toBe(false);
    expect(text).toMatch(/^1 check failed: a sync would stop$/m);
  });

  it('reports wrong settings as a failed check instead of stopping', async () => {
    const { report } = await doctor({ ...DOCTOR_DEFAULTS, warehouse: false }, { SYNC_SOURCES: 'markets,nowhere', SYNC_DATA_DIR: dataDir });
    expect(report.checks).toEqual([{ name: 'settings', status: 'fail', detail: expect.stringContaining('SYNC_SOURCES is invalid') as string }]);
    expect(report.ok).toBe(false);
  });
});
