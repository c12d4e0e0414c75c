import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `polymarket-sync <command>`, the package's bin, started as npm starts it: the bin file, no tsx in front. */
const ROOT = new URL('../../', import.meta.url).pathname;
const COMMANDS = ['sync', 'query', 'check', 'status', 'redrive', 'replay', 'migrate', 'doctor', 'bench', 'soak'];
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string>; scripts: Record<string, string> };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A bound no healthy run of these comes near, even on a loaded machine
 * (doctor --simulated starts a chain): the process must have ended by then.
 * The test's own timeout is above it, so a hung process fails as one.
 */
const EXIT_BOUND_MS = 300_000;
const TEST_TIMEOUT_MS = EXIT_BOUND_MS + 60_000;

function exec(file: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...process.env, ...env }, timeout: EXIT_BOUND_MS }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const bin = (args: string[], env: Record<string, string> = {}, cwd = ROOT) =>
  exec(process.execPath, [join(ROOT, pkg.bin['polymarket-sync']!), ...args], env, cwd);

/** The names under "Commands:" in a commander help text. */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(\w[\w-]*)/gm)].map((m) => m[1]!);
}

describe('polymarket-sync (the bin)', () => {
  it('prints the version package.json gives', async () => {
    const r = await bin(['--version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('lists every command in its help, and each npm script of a command runs that command through the bin', async () => {
    const r = await bin(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: polymarket-sync \[options\] \[command\]/);
    expect(
      listedCommands(r.stdout)
        .filter((c) => c !== 'help')
        .sort(),
    ).toEqual([...COMMANDS].sort());
    for (const command of COMMANDS) expect(pkg.scripts[command]).toBe(`node ${pkg.bin['polymarket-sync']} ${command}`);
  });

  it("shows a command's own help, from any directory", async () => {
    const r = await bin(['query', '--help'], {}, tmpdir());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: polymarket-sync query \[options\] <sql>/);
    expect(r.stdout).toContain('--format <format>');
    expect(r.stdout).toContain('--simulated');
  });

  it('runs a query on the embedded engine', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pmsync-bin-'));
    const r = await bin(['query', '--format', 'JSONEachRow', 'SELECT 6 * 7 AS answer'], { SYNC_DATA_DIR: dataDir, CLICKHOUSE_URL: '' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ answer: 42 });
  });

  it('refuses an unknown command or a bad option value with exit 1 and says why', async () => {
    const unknown = await bin(['resync']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command 'resync'/);
    const level = await bin(['sync', '--log-level', 'LOUD']);
    expect(level.code).toBe(1);
    expect(level.stderr).toMatch(/--log-level.*must be one of DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT/);
  });

  it('is what `npx polymarket-sync` runs in a clone (the package.json bin entry)', async () => {
    const r = await exec('npx', ['--offline', '--yes', 'polymarket-sync', '--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('polymarket-sync doctor (the bin)', () => {
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

  it(
    '--simulated --json: a healthy report on stdout, exit 0',
    async () => {
      const r = await bin(['doctor', '--simulated', '--markets', '8', '--fills', '2000', '--json'], { SYNC_DATA_DIR: dataDir });
      expect(r.stderr).toMatch(/^simulated sources: /);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
      expect(report.ok).toBe(true);
      expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
      expect(report.checks.map((c) => c.name)).toContain('clickhouse: features');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'an unreachable source and a refusing ClickHouse: the table names both, exit 1',
    async () => {
      const r = await bin(['doctor'], {
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
    },
    TEST_TIMEOUT_MS,
  );
});
