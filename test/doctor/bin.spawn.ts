/**
 * `polymarket-sync doctor` spawned as a user runs it. Not collected by
 * vitest under this name: rename to bin.test.ts once local/cli/program.ts
 * registers doctorCommand().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/polymarket-sync.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A bound no healthy doctor run comes near: the process must have ended by then. */
const EXIT_BOUND_MS = 90_000;

function doctor(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'doctor', ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: EXIT_BOUND_MS }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let dataDir: string;
let refusing: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'doctor-bin-'));
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  refusing = `http://127.0.0.1:${port}`;
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('polymarket-sync doctor (the bin)', () => {
  it('--simulated --json: a healthy report on stdout, exit 0', async () => {
    const r = await doctor(['--simulated', '--markets', '8', '--fills', '2000', '--json'], { SYNC_DATA_DIR: dataDir });
    expect(r.stderr).toMatch(/^simulated sources: /);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.checks.map((c) => c.name)).toContain('clickhouse: features');
  });

  it('an unreachable source and a refusing ClickHouse: the table names both, exit 1', async () => {
    const r = await doctor([], {
      SYNC_SOURCES: 'markets',
      MARKET_LISTS: 'clob',
      POLYMARKET_MARKETS_URL: refusing,
      CLICKHOUSE_URL: refusing,
      SYNC_DATA_DIR: dataDir,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^markets: CLOB list +FAIL +http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/m);
    expect(r.stdout).toMatch(/^clickhouse: reachable +FAIL +ClickHouse server 127\.0\.0\.1:\d+/m);
    expect(r.stdout).toMatch(/^2 checks failed: a sync would stop$/m);
  });
});
