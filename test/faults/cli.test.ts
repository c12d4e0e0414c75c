import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The operator commands as a person runs them (`npm run status|redrive|replay`, i.e. `polymarket-sync <command>`), on a fresh local state. */
const ROOT = new URL('../../', import.meta.url).pathname;

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/polymarket-sync.js'), command, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 240_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('operator CLIs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pmsync-cli-'));
  const env = { SYNC_DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'ERROR' };

  it('status prints the state as JSON, offline', async () => {
    const r = await run('status', ['--no-heads', '--no-warehouse', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout) as { sources: { source: string; watermark: null }[]; openRun: null; deadLetters: { shards: number; loads: number } };
    expect(status.sources.map((s) => s.source)).toEqual(['markets', 'chain']);
    expect(status.openRun).toBeNull();
    expect(status.deadLetters).toEqual({ shards: 0, loads: 0 });
  });

  it('redrive says there is nothing to move', async () => {
    const r = await run('redrive', [], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/shards: dead-letter queue is empty\nloads: dead-letter queue is empty/);
  });

  it('replay refuses a window it cannot plan, naming the problem', async () => {
    const r = await run('replay', ['--from', '2025-02-01', '--to', '2025-01-01'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--from 2025-02-01 is after --to 2025-01-01/);
    const mixed = await run('replay', ['--from', '2025-01-01', '--to', '84902353'], env);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/both be dates or both be block numbers/);
  });
});
