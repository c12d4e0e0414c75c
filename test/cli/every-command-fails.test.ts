import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LATEST_SCHEMA_VERSION } from '#adapters/clickhouse/migrations.ts';
import { closedPort, FAILURE_BOUND_MS, silentProvider, simulatedFills, startCli, type CliProcess, type CliRun } from './spawn-cli.ts';

/**
 * Every command besides sync and query (test/cli/failures.test.ts) meets a
 * fatal cause it can meet, through the real CLI: it ends with a non-zero
 * exit and a message naming the service and its host (never a key), without
 * a stack unless --verbose, and nothing it started outlives it. Each CLI leads
 * a process group of its own, as a shell's foreground job does, so "nothing
 * outlives it" is "its group is empty once it has exited".
 */
const dataDir = () => mkdtempSync(join(tmpdir(), 'pmsync-every-'));
const SMALL_WORLD = ['--simulated', '--fills', '300', '--markets', '4'];
// A key as long as a real one (Alchemy's and QuickNode's go in the path; shorter segments are not taken for keys).
const KEYED_PATH = '/v2/SECRETKEY0123456789abcdef?api_key=SECRET';
// Few retries: the default policy retries an unreachable source for over a minute before giving up.
const QUICK_SOURCES = { SOURCE_MAX_RETRIES: '1', SOURCE_TIMEOUT_MS: '5000' };
const output = (r: CliRun) => `${r.stdout}\n${r.stderr}`;

const start = (args: string[], env: Record<string, string>, boundMs = FAILURE_BOUND_MS): CliProcess => startCli(args, env, boundMs, { detached: true });

/** Whether a process is left in the group `pgid` led (kill(2) with signal 0 only asks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The run once the CLI has exited and every process of its group is gone (the test's timeout bounds a leftover). */
async function ended(cli: CliProcess): Promise<CliRun> {
  const run = await cli.exited;
  while (groupAlive(cli.child.pid!)) await new Promise((resolve) => setTimeout(resolve, 50));
  return run;
}

const runToEnd = (args: string[], env: Record<string, string>) => ended(start(args, env));

/** A fatal error as a person should read it: exit 1, `<command> failed: <what>`, no key, no stack. */
function expectFatal(r: CliRun, command: string, what: string): void {
  expect(r.code, output(r)).toBe(1);
  expect(r.stderr).toContain(`${command} failed: ${what}`);
  expect(output(r)).not.toContain('SECRET');
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

describe('ClickHouse refusing', () => {
  for (const [command, ...rest] of [['migrate'], ['check', '--no-state'], ['replay', ...SMALL_WORLD, '--from', '2026-05-01']] as const) {
    it(`${command}: names ClickHouse and its host, not the password`, { timeout: 600_000 }, async () => {
      const port = await closedPort();
      const env = { SYNC_DATA_DIR: dataDir(), CLICKHOUSE_URL: `http://127.0.0.1:${port}`, CLICKHOUSE_PASSWORD: 'SECRET-PASSWORD' };
      const r = await runToEnd([command, ...rest], env);
      expectFatal(r, command, `ClickHouse at 127.0.0.1:${port}: connection refused`);
      expect(r.stderr).toContain('check CLICKHOUSE_URL');
    });
  }
});

describe('a source refusing', () => {
  it('replay: names the Polygon RPC provider and its host, not its key', { timeout: 600_000 }, async () => {
    const port = await closedPort();
    const r = await runToEnd(['replay', '--from', '2026-05-01', '--to', '2026-05-02'], {
      SYNC_DATA_DIR: dataDir(),
      ...QUICK_SOURCES,
      SYNC_SOURCES: 'chain',
      POLYGON_RPC_URL: `http://127.0.0.1:${port}${KEYED_PATH}`,
    });
    expectFatal(r, 'replay', `the Polygon RPC provider at 127.0.0.1:${port}: connection refused`);
    expect(r.stderr).toContain('check POLYGON_RPC_URL');
  });

  it('doctor: fails both the provider and ClickHouse, each by its host, not its key', { timeout: 600_000 }, async () => {
    const [rpcPort, chPort] = [await closedPort(), await closedPort()];
    const r = await runToEnd(['doctor'], {
      SYNC_DATA_DIR: dataDir(),
      ...QUICK_SOURCES,
      SYNC_SOURCES: 'chain',
      POLYGON_RPC_URL: `http://127.0.0.1:${rpcPort}${KEYED_PATH}`,
      CLICKHOUSE_URL: `http://127.0.0.1:${chPort}`,
      CLICKHOUSE_PASSWORD: 'SECRET-PASSWORD',
    });
    expect(r.code, output(r)).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`chain: reachable\\s+FAIL.*127\\.0\\.0\\.1:${rpcPort}`));
    expect(r.stdout).toMatch(new RegExp(`clickhouse: reachable\\s+FAIL.*127\\.0\\.0\\.1:${chPort}`));
    expect(r.stdout).toContain('a sync would stop');
    expect(output(r)).not.toContain('SECRET');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('the data directory held by another polymarket-sync process', () => {
  let silent: Awaited<ReturnType<typeof silentProvider>>;
  let silentUrl: string;
  beforeAll(async () => {
    // A provider that never answers: the holder's planning waits on it.
    silent = await silentProvider();
    silentUrl = silent.url;
  });
  afterAll(() => silent.close());

  it('status, redrive, check, doctor and migrate are refused with the holder named; once it ends, migrate finishes exact', { timeout: 600_000 }, async () => {
    const dir = dataDir();
    // It holds the directory while the others run one after another: bounded by this test's timeout, not one command's.
    const holder = start(['sync'], { SYNC_DATA_DIR: dir, SYNC_SOURCES: 'chain', POLYGON_RPC_URL: silentUrl, SOURCE_TIMEOUT_MS: '600000' }, 600_000);
    await holder.stderrShows('planning:');
    const inUse = `the data directory ${dir} is in use by another polymarket-sync process (pid ${holder.child.pid}: polymarket-sync sync)`;
    for (const [command, ...rest] of [['status', '--no-heads'], ['redrive'], ['check'], ['doctor'], ['migrate']] as const) {
      const r = await runToEnd([command, ...rest], { SYNC_DATA_DIR: dir, SYNC_SOURCES: 'chain', POLYGON_RPC_URL: silentUrl });
      expectFatal(r, command, inUse);
    }

    holder.child.kill('SIGINT');
    const stopped = await ended(holder);
    expect(stopped.code, output(stopped)).toBe(1);

    const migrated = await runToEnd(['migrate'], { SYNC_DATA_DIR: dir });
    expect(migrated.code, output(migrated)).toBe(0);
    expect(migrated.stdout).toMatch(new RegExp(`(migrated from version \\d+ to|schema is current \\(version) ${LATEST_SCHEMA_VERSION}`));
    const version = await runToEnd(['query', '--format', 'TSV', 'SELECT max(version) FROM polymarket.schema_migrations'], { SYNC_DATA_DIR: dir });
    expect(version.code, output(version)).toBe(0);
    expect(version.stdout.trim()).toBe(String(LATEST_SCHEMA_VERSION));
  });
});

describe('a full disk under the data directory', () => {
  it('sync: says the disk is full and where to point SYNC_DATA_DIR; with room again, a re-run finishes exact', { timeout: 300_000 }, async () => {
    // A real ENOSPC without root or a mount: every write to /dev/full fails with it (the kernel's full(4) device), so the
    // local queues' store, a file of the data directory, sits on a "disk" with no room. SQLite answers SQLITE_FULL.
    const dir = dataDir();
    const store = join(dir, 'fauxqs', 'fauxqs.db');
    mkdirSync(join(dir, 'fauxqs'));
    symlinkSync('/dev/full', store);
    const full = await runToEnd(['sync', ...SMALL_WORLD], { SYNC_DATA_DIR: dir });
    expectFatal(full, 'sync', 'the disk is full (no space left on device)');
    expect(full.stderr).toContain('SYNC_DATA_DIR');

    rmSync(store);
    const again = await runToEnd(['sync', ...SMALL_WORLD], { SYNC_DATA_DIR: dir });
    expect(again.code, output(again)).toBe(0);
    expect(again.stdout).toContain('run complete');
    const { expected, loaded } = simulatedFills(again);
    expect(loaded).toBe(expected);
  });
});

describe('soak and bench', () => {
  it('bench: a scratch directory it cannot create is named', { timeout: 600_000 }, async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'a-file'), '');
    const work = join(dir, 'a-file', 'work');
    const r = await runToEnd(['bench', '--fills', '1000', '--only', 'loader', '--loader-rows', '1000', '--no-write', '--work-dir', work], {});
    expectFatal(r, 'bench', `ENOTDIR: not a directory, mkdir '${work}'`);
  });

  for (const [name, args, busy] of [
    ['soak', ['soak', '--fills', '300', '--markets', '4'], 'world built'],
    // Interrupted while its first child process loads 200,000 rows.
    ['bench', ['bench', '--fills', '200000', '--only', 'loader', '--loader-rows', '200000', '--no-write'], 'loader-1-object: running'],
  ] as const) {
    it(`${name}: Ctrl-C while it runs ends it and everything it started, and leaves no scratch directory`, { timeout: 600_000 }, async () => {
      const scratch = dataDir();
      const work = join(scratch, 'work');
      const cli = start([...args, ...(name === 'bench' ? ['--work-dir', work] : [])], { TMPDIR: scratch });
      await cli.stderrShows(busy);
      // Ctrl-C in a terminal signals the whole foreground group.
      process.kill(-cli.child.pid!, 'SIGINT');
      const r = await ended(cli);
      expect(r.code === 0 && r.signal === null, output(r)).toBe(false);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      if (name === 'soak') expect(readdirSync(scratch).filter((f) => f.startsWith('pmsync-soak-'))).toEqual([]);
    });
  }
});
