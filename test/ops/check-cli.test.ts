import { CHECK_NAMES } from '#shared/ops/quality/types.ts';
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENESIS, PAGE_BLOCKS, WATERMARK } from './support/fixture.ts';

/** `npm run check` as a person runs it, on local data directories prepared by another process. */
const ROOT = new URL('../../', import.meta.url).pathname;

/** `polymarket-sync check ...` through the package's bin, or a helper script through tsx. */
const check = (args: string[], env: Record<string, string> = {}) => run(join(ROOT, 'bin/polymarket-sync.js'), ['check', ...args], env);
const tsx = (script: string, args: string[], env: Record<string, string> = {}) => run(join(ROOT, 'node_modules/.bin/tsx'), [script, ...args], env);

function run(entry: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const clean = { ...process.env };
    for (const k of ['CLICKHOUSE_URL', 'CLICKHOUSE_SECRET_ARN', 'CLICKHOUSE_DATABASE', 'CHAIN_GENESIS_BLOCK', 'CHAIN_V1_FILLS', 'CHAIN_EXCHANGES'])
      delete clean[k];
    execFile(process.execPath, [entry, ...args], { cwd: ROOT, env: { ...clean, ...env }, timeout: 240_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function dataDir(scenario: 'clean' | 'skipped-range'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `pmsync-check-${scenario}-`));
  const seeded = await tsx('test/ops/support/seed-data-dir.ts', [dir, scenario]);
  expect(seeded.stderr).toBe('');
  expect(seeded.code).toBe(0);
  return dir;
}

describe('npm run check (the CLI)', () => {
  it('exits 0 and prints every check passing on a clean local warehouse', async () => {
    const dir = await dataDir('clean');
    const r = await check(['--from-block', GENESIS.toString(), '--to-block', WATERMARK.toString()], { SYNC_DATA_DIR: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`chain genesis ${GENESIS}, watermark ${WATERMARK} (--to-block)`);
    expect(CHECK_NAMES).toHaveLength(12);
    for (const name of CHECK_NAMES) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name} +PASS  `, 'm'));
    }
    expect(r.stdout.trimEnd()).toMatch(/all checks passed$/);

    // Without --to-block the watermark comes from the local state; this one has never synced.
    const fromState = await check(['--only', 'chain-coverage'], { SYNC_DATA_DIR: dir, CHAIN_GENESIS_BLOCK: GENESIS.toString() });
    expect(fromState.code).toBe(0);
    expect(fromState.stdout).toContain(`watermark unknown (local state in ${dir})`);
    expect(fromState.stdout).toContain(`up to the highest block read, ${WATERMARK} (watermark unknown)`);
  });

  it('exits 2 and names the failing check, as text and as JSON, when a block range was skipped', async () => {
    const dir = await dataDir('skipped-range');
    const lost = GENESIS + 7n * PAGE_BLOCKS;
    const text = await check(['--from-block', GENESIS.toString(), '--to-block', WATERMARK.toString(), '--no-record'], { SYNC_DATA_DIR: dir });
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^ {2}chain-coverage +FAIL +1,000 blocks never read in 1 gap\(s\)/m);
    expect(text.stdout).toContain(`${lost}..${lost + PAGE_BLOCKS - 1n} (1000)`);
    expect(text.stdout.trimEnd()).toMatch(/failed: chain-coverage$/);

    const json = await check(
      ['--from-block', GENESIS.toString(), '--to-block', WATERMARK.toString(), '--no-record', '--json', '--only', 'chain-coverage,duplicates'],
      { SYNC_DATA_DIR: dir },
    );
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['duplicates', 'pass'],
      ['chain-coverage', 'fail'],
    ]);
  });

  it('passes every check after a simulated sync, as a first run of the README does, also in a sparse world', { timeout: 600_000 }, async () => {
    // 300 fills over V1's three and a half years and V2's month: the eras must still meet at the migration.
    const dir = mkdtempSync(join(tmpdir(), 'pmsync-check-simulated-'));
    const synced = await run(join(ROOT, 'bin/polymarket-sync.js'), ['sync', '--simulated', '--fills', '300', '--markets', '4'], { SYNC_DATA_DIR: dir });
    expect(synced.code, synced.stderr).toBe(0);
    const r = await check([], { SYNC_DATA_DIR: dir });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^ {2}v1-v2-seam +PASS +V1 ends \S+, V2 starts \S+ \(\d+ s later\)$/m);
    expect(r.stdout.trimEnd()).toMatch(/all checks passed$/);
  });

  it('refuses an unknown check name with exit 1', async () => {
    const r = await check(['--only', 'nonsense', '--no-state']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown check nonsense/);
  });
});
