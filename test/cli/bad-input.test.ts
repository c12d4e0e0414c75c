import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bad input to the real bin ends at once, non-zero, with one line that says what to change and no stack trace. */
const ROOT = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };

function bin(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, pkg.bin['polymarket-sync']!), ...args],
      // A data directory of its own: nothing here may start, but if it did it would not touch the developer's.
      { cwd: ROOT, env: { ...process.env, SYNC_DATA_DIR: mkdtempSync(join(tmpdir(), 'pmsync-bad-')), ...env }, timeout: 240_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Each case must be refused, non-zero, with `message` on stderr and no stack. */
async function expectRefused(args: string[], message: RegExp, env: Record<string, string> = {}) {
  const r = await bin(args, env);
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r;
}

const WITH_SUBGRAPH = { SYNC_SOURCES: 'markets,subgraph,chain', CHAIN_V1_FILLS: 'false' };

describe('bad input to replay', () => {
  it.each([
    [['--from', '200', '--to', '100'], /--from 200 is after --to 100: the window is reversed/, {}],
    [
      ['--from', '33605403'],
      /--from 33605403 is a block number, but the subgraph is enabled/,
      { SYNC_SOURCES: 'markets,subgraph,chain', CHAIN_V1_FILLS: 'false' },
    ],
    [['--from', 'yesterday'], /neither an ISO date/, {}],
    [['--from', '2026-01-01', '--concurrency', '1000'], /--concurrency.*must be a whole number from 1 to 64/, {}],
    [['--from', '2026-01-01', '--simulated', '--fills', '999999999999'], /--fills.*must be a whole number from 1 to 10,000,000/, {}],
  ])('replay %j is refused with a message that says what to change', async (args, message, env) => {
    const r = await bin(['replay', ...args], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bad input to sync: the same window rules and words as replay', () => {
  it.each([
    [['--from', '200', '--to', '100'], /^--from 200 is after --to 100: the window is reversed/m, {}],
    [['--from', '33605403'], /--from 33605403 is a block number, but the subgraph is enabled.*give ISO dates/, WITH_SUBGRAPH],
    // --simulated --subgraph enables the subgraph as the simulated world does.
    [['--simulated', '--subgraph', '--to', '40000000'], /--to 40000000 is a block number, but the subgraph is enabled/, {}],
    // Settings the pipeline reads: refused before the world starts, not after planning.
    [['--simulated'], /PAGES_PER_OBJECT/, { PAGES_PER_OBJECT: 'x' }],
    [['--simulated'], /FETCHER_CONCURRENCY/, { FETCHER_CONCURRENCY: '-3' }],
    // Two V1 sources at once: refused before planning, with no network touched.
    [[], /SYNC_SOURCES includes subgraph while the chain reads V1 fills too/, { SYNC_SOURCES: 'markets,subgraph,chain', CHAIN_V1_FILLS: 'true' }],
  ])('sync %j is refused before anything starts', async (args, message, env) => {
    const r = await expectRefused(['sync', ...args], message, env);
    // Nothing started: no warehouse, no simulated world, no planning.
    expect(r.stderr).not.toMatch(/warehouse:|simulated sources:|planning:/);
  });
});

/** One out-of-range number per command through the bin; test/cli/numbers.test.ts checks that every numeric flag has its bounds. */
describe('numbers out of range', () => {
  it.each([
    [['sync', '--concurrency', '65'], /--concurrency.*must be a whole number from 1 to 64/],
    [['sync', '--simulated', '--fills', '1e12'], /--fills.*must be a whole number from 1 to 10,000,000/],
    [['doctor', '--simulated', '--markets', '0'], /--markets.*must be a whole number from 1 to 100,000/],
    [['soak', '--source-faults', '0.5'], /--source-faults.*must be a number from 0 to 0.25/],
    [['bench', '--workers', '65'], /--workers.*must be a whole number from 1 to 64/],
  ])('%j is refused with the range', async (args, message) => {
    await expectRefused(args, message);
  });
});

it('bench --analyst-data without the new-only layout is refused before anything runs', async () => {
  const r = await expectRefused(
    ['bench', '--only', 'analyst', '--analyst-data', 'kept'],
    /--analyst-data keeps the new design's data only: use it with --analyst-layout new-only, not auto/,
  );
  expect(r.stdout + r.stderr).not.toMatch(/part analyst: starting/);
});

describe('a ClickHouse server over plain http to another host', () => {
  const PLAIN = { CLICKHOUSE_URL: 'http://ch.example.com:8123' };
  // Sources that answer nothing and reach no network: the refusal must come from CLICKHOUSE_URL alone.
  const OFFLINE_SOURCES = { SYNC_SOURCES: 'markets', MARKET_LISTS: 'clob', POLYMARKET_MARKETS_URL: 'http://127.0.0.1:9' };

  it.each([
    [['query', 'SELECT 1']],
    [['migrate']],
    [['check']],
    [['status', '--no-heads']],
    [['sync']],
    [['sync', '--simulated']],
    [['replay', '--from', '2026-01-01']],
  ])('%j is refused before it connects, naming the variable and the rule', async (args) => {
    const r = await expectRefused(args, /CLICKHOUSE_URL is invalid \(must be https \(plain http only for localhost/, { ...PLAIN, ...OFFLINE_SOURCES });
    expect(r.stderr).not.toMatch(/simulated sources:/);
  });

  it('status --stage is refused before it asks AWS anything', async () => {
    const r = await expectRefused(['status', '--stage', 'nowhere'], /CLICKHOUSE_URL is invalid \(must be https/, { ...PLAIN, AWS_REGION: 'eu-west-1' });
    expect(r.stderr).not.toMatch(/credentials|CloudFormation|nowhere/i);
  });

  it.each([
    [['status', '--stage', 'nosuch']],
    [['redrive', '--stage', 'nosuch']],
    [['check', '--stage', 'nosuch']],
    [['replay', '--from', '2026-01-01', '--stage', 'nosuch']],
  ])('%j: a stage infra/environments.ts does not define is refused with the ones it does, before AWS is asked', async (args) => {
    const r = await expectRefused(args, /^no stage named "nosuch": infra\/environments\.ts defines dev, staging, prod;/m);
    expect(r.stderr).not.toMatch(/credentials|queue|network/i);
  });

  it('doctor reports it as a failed check, exit 1', async () => {
    const r = await bin(['doctor'], { ...PLAIN, ...OFFLINE_SOURCES });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^clickhouse: settings +FAIL +.*CLICKHOUSE_URL is invalid \(must be https/m);
  });
});
