import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClickHouseHttpFront, type ClickHouseHttpFront } from '#test/support/clickhouse-http-front.ts';
import { closedPort, runCli, silentProvider, simulatedFills, startCli, type CliRun } from './spawn-cli.ts';

/**
 * A person's first failures, through the real CLI: each ends the command with
 * exit 1 and a message naming the service, its host (never the key in its
 * URL), the cause and what to do; the process ends on its own; and a re-run
 * once the cause is gone finishes with exactly the source's fills.
 */
const dataDir = () => mkdtempSync(join(tmpdir(), 'pmsync-fail-'));
const SMALL_WORLD = ['--simulated', '--fills', '300', '--markets', '4'];
// Few retries: the default policy retries an unreachable source for over a minute before giving up.
const QUICK_SOURCES = { SOURCE_MAX_RETRIES: '1', SOURCE_TIMEOUT_MS: '5000' };
const output = (r: CliRun) => `${r.stdout}\n${r.stderr}`;

function expectExact(run: CliRun): void {
  expect(run.code, output(run)).toBe(0);
  expect(run.stdout).toContain('run complete');
  const { expected, loaded } = simulatedFills(run);
  expect(loaded).toBe(expected);
  expectProgressEndsAtLoaded(run);
}

/** The last progress line counts what the summary says was loaded, in the plan estimate's unit (fills and events). */
function expectProgressEndsAtLoaded(run: CliRun): void {
  const number = (re: RegExp, text: string) => Number((re.exec(text)?.[1] ?? 'NaN').replace(/,/g, ''));
  const lines = run.stderr.split('\n').filter((l) => l.startsWith('progress: '));
  const last = lines.at(-1) ?? '';
  const summed = number(/fills added\s+[\d,]+\s+staged [\d,]+, sent to ClickHouse ([\d,]+)/, run.stdout) + number(/activity loaded\s+([\d,]+)/, run.stdout);
  expect(last, run.stderr).toMatch(/^progress: [\d,]+\/[\d,]+ fills and events loaded, shards (\d+)\/\1, /);
  expect(number(/^progress: ([\d,]+)\//, last)).toBe(summed);
}

describe('a source that cannot be reached', () => {
  it('refusing: names the Polygon RPC provider and its host, not its key; a re-run offline finishes exact', { timeout: 600_000 }, async () => {
    const dir = dataDir();
    const port = await closedPort();
    // Three retries: the second and the last are each announced while the command still waits (the first is routine).
    const r = await runCli(['sync'], {
      SYNC_DATA_DIR: dir,
      ...QUICK_SOURCES,
      SOURCE_MAX_RETRIES: '3',
      POLYGON_RPC_URL: `http://127.0.0.1:${port}/v2/SECRETKEY?api_key=SECRET`,
    });
    expect(r.code, output(r)).toBe(1);
    const waiting = `waiting on the Polygon RPC provider at 127.0.0.1:${port}: connection refused`;
    expect(r.stderr).toContain(`${waiting} (nothing listens at that address and port); retrying (2 of 3)`);
    expect(r.stderr).toContain(`${waiting} (nothing listens at that address and port); retrying (3 of 3)`);
    expect(r.stderr.indexOf('retrying (3 of 3)')).toBeLessThan(r.stderr.indexOf('sync failed:'));
    expect(r.stderr).toContain(`sync failed: the Polygon RPC provider at 127.0.0.1:${port}: connection refused`);
    expect(r.stderr).toContain('check POLYGON_RPC_URL');
    expect(r.stderr).toContain('--simulated');
    expect(output(r)).not.toContain('SECRET');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expectExact(await runCli(['sync', ...SMALL_WORLD], { SYNC_DATA_DIR: dir }));
  });

  it('a keyed market list that refuses: names the CLOB list and its host', async () => {
    const port = await closedPort();
    // Only the market lists: the markets source fetches nothing while planning, so this fails while fetching.
    const r = await runCli(['sync'], {
      SYNC_DATA_DIR: dataDir(),
      ...QUICK_SOURCES,
      SOURCE_MAX_RETRIES: '2',
      SYNC_SOURCES: 'markets',
      MARKET_LISTS: 'clob',
      POLYMARKET_MARKETS_URL: `http://127.0.0.1:${port}/v2/SECRETKEY?api_key=SECRET`,
    });
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toContain(`waiting on the CLOB market list at 127.0.0.1:${port}: connection refused`);
    expect(r.stdout).toContain('run NOT complete');
    expect(r.stderr).toContain(`why: the CLOB market list at 127.0.0.1:${port}: connection refused`);
    expect(r.stderr).toContain('check POLYMARKET_MARKETS_URL');
    expect(r.stderr).toContain('polymarket-sync redrive');
    expect(output(r)).not.toContain('SECRET');
  });

  it('unknown host: says the name does not resolve', async () => {
    const r = await runCli(['sync'], { SYNC_DATA_DIR: dataDir(), ...QUICK_SOURCES, POLYGON_RPC_URL: 'https://polygon-rpc.invalid/SECRETKEY' });
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toContain('the Polygon RPC provider at polygon-rpc.invalid: cannot resolve the host name');
    expect(output(r)).not.toContain('SECRETKEY');
  });

  it('a bad setting: says which variable and why, before starting anything', async () => {
    const r = await runCli(['sync'], { SYNC_DATA_DIR: dataDir(), SOURCE_TIMEOUT_MS: 'soon' });
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toMatch(/SOURCE_TIMEOUT_MS/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('ClickHouse that cannot be used', () => {
  let front: ClickHouseHttpFront;
  beforeAll(async () => {
    front = await startClickHouseHttpFront({ dataDir: dataDir(), password: 'right-password' });
  });
  afterAll(async () => {
    await front.close();
  });

  it('refusing: names ClickHouse and its host, for sync and for query', async () => {
    const port = await closedPort();
    const env = { SYNC_DATA_DIR: dataDir(), CLICKHOUSE_URL: `http://127.0.0.1:${port}` };
    for (const args of [
      ['sync', ...SMALL_WORLD],
      ['query', 'SELECT 1'],
    ]) {
      const r = await runCli(args, env);
      expect(r.code, output(r)).toBe(1);
      expect(r.stderr).toContain(`failed: ClickHouse at 127.0.0.1:${port}: connection refused`);
      expect(r.stderr).toContain('CLICKHOUSE_URL');
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('a wrong password: says authentication failed and which variables to check; the right one then syncs exact', { timeout: 600_000 }, async () => {
    const dir = dataDir();
    const host = new URL(front.url).host;
    const wrong = await runCli(['sync', ...SMALL_WORLD], { SYNC_DATA_DIR: dir, CLICKHOUSE_URL: front.url, CLICKHOUSE_PASSWORD: 'not-the-password' });
    expect(wrong.code, output(wrong)).toBe(1);
    expect(wrong.stderr).toContain(`sync failed: ClickHouse at ${host}: authentication failed`);
    expect(wrong.stderr).toContain('CLICKHOUSE_USER and CLICKHOUSE_PASSWORD');
    expect(output(wrong)).not.toContain('not-the-password');
    expectExact(await runCli(['sync', ...SMALL_WORLD], { SYNC_DATA_DIR: dir, CLICKHOUSE_URL: front.url, CLICKHOUSE_PASSWORD: 'right-password' }));
  });
});

describe('Ctrl-C while planning, and a second process on the same data directory', () => {
  let silent: Awaited<ReturnType<typeof silentProvider>>;
  let silentUrl: string;
  beforeAll(async () => {
    // A provider that never answers: planning waits on it.
    silent = await silentProvider();
    silentUrl = silent.url;
  });
  afterAll(() => silent.close());

  it('the second is refused with the holder named; Ctrl-C ends the first; a re-run finishes exact', { timeout: 600_000 }, async () => {
    const dir = dataDir();
    const first = startCli(['sync'], { SYNC_DATA_DIR: dir, POLYGON_RPC_URL: silentUrl, SOURCE_TIMEOUT_MS: '120000' });
    await first.stderrShows('planning:');

    const second = await runCli(['query', 'SELECT 1'], { SYNC_DATA_DIR: dir });
    expect(second.code, output(second)).toBe(1);
    expect(second.stderr).toContain(`the data directory ${dir} is in use by another polymarket-sync process (pid ${first.child.pid}: polymarket-sync sync)`);

    first.child.kill('SIGINT');
    const stopped = await first.exited;
    expect(stopped.code, output(stopped)).toBe(1);
    expect(stopped.stderr).toContain('interrupted while planning');

    expectExact(await runCli(['sync', ...SMALL_WORLD], { SYNC_DATA_DIR: dir }));
    const after = await runCli(['query', '--format', 'TSV', 'SELECT 1'], { SYNC_DATA_DIR: dir });
    expect(after.code, output(after)).toBe(0);
  });
});
