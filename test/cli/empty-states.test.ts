import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './spawn-cli.ts';

/** A fresh data directory, before any sync: each command says there is nothing yet and how to get some. */
describe('before any sync', () => {
  const env = () => ({ SYNC_DATA_DIR: mkdtempSync(join(tmpdir(), 'pmsync-empty-')) });
  const getSome = /npm run sync -- --simulated[\s\S]*npm run sync`/;

  it('query says there is no data yet, not that a database does not exist', async () => {
    const r = await runCli(['query', 'SELECT count() FROM polymarket.fills'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('query failed: there is no data yet');
    expect(r.stderr).toMatch(getSome);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('check says there is no data yet instead of failing every check', async () => {
    const r = await runCli(['check'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('check: there is no data yet');
    expect(r.stderr).toMatch(getSome);
    expect(r.stdout).not.toContain('could not run');
  });

  it('status says no run was ever recorded', async () => {
    const r = await runCli(['status', '--no-heads'], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no sync has recorded a run here yet');
    expect(r.stdout).toMatch(getSome);
  });
});
