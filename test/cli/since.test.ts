import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, simulatedFills, type CliRun } from './spawn-cli.ts';

/**
 * `sync --since` through the real CLI, as the README's first run has it: the
 * estimate, the bounded sync, the backfill command it prints, then that
 * command: the warehouse ends with exactly the world's fills, each once.
 * (test/e2e/bounded-first-sync.test.ts checks the same path block by block.)
 */
const WORLD = ['--simulated', '--fills', '900', '--markets', '6'];
/** The same world as a hint prints it. */
const WORLD_ARGS = '--simulated --markets 6 --fills 900';
const output = (r: CliRun) => `${r.stdout}\n${r.stderr}`;

describe('sync --since, then the backfill it prints', () => {
  it('loads the recent part first, then exactly the rest, and a scheduled sync after adds nothing', { timeout: 900_000 }, async () => {
    const env = { SYNC_DATA_DIR: mkdtempSync(join(tmpdir(), 'pmsync-since-')) };
    // The simulated V2 era runs from 2026-04-28 for about a month: some fills fall after this date, most before it.
    const bounded = await runCli(['sync', ...WORLD, '--since', '2026-05-10'], env);
    expect(bounded.code, output(bounded)).toBe(0);
    expect(bounded.stderr).toContain('what this sync will fetch');
    expect(bounded.stderr).toContain('bounded first sync from 2026-05-10T00:00:00Z');
    const first = simulatedFills(bounded);
    expect(first.loaded).toBeGreaterThan(0);
    expect(first.loaded).toBeLessThan(first.expected);

    // `check` holds the chain to every block from where --since started, and names what is left for the backfill.
    const checkedEarly = await runCli(['check', '--simulated'], env);
    expect(checkedEarly.code, output(checkedEarly)).toBe(0);
    expect(checkedEarly.stdout).toMatch(/chain-coverage +PASS +blocks \d+\.\.\d+ all read .*, before 2026-05-10T00:00:00Z, are not loaded yet/);

    // The printed command is run as printed: it names the same simulated world.
    const printed = /npm run sync -- (.+)$/m.exec(bounded.stderr)?.[1];
    expect(printed, bounded.stderr).toBe(`${WORLD_ARGS} --from 2020-01-01T00:00:00Z --to 2026-05-10T00:00:00Z`);
    const backfill = await runCli(['sync', ...printed!.split(' ')], env);
    expect(backfill.code, output(backfill)).toBe(0);
    expect(simulatedFills(backfill)).toEqual({ expected: first.expected, loaded: first.expected });

    const checked = await runCli(['check', '--simulated'], env);
    expect(checked.code, output(checked)).toBe(0);
    expect(checked.stdout).not.toContain('not loaded yet');

    const scheduled = await runCli(['sync', ...WORLD], env);
    expect(scheduled.stdout).toMatch(/fills added\s+0\b/);
    expect(simulatedFills(scheduled)).toEqual({ expected: first.expected, loaded: first.expected });
    const distinct = await runCli(['query', '--simulated', '--format', 'TSV', 'SELECT count() - uniqExact(fill_id) FROM polymarket.fills'], env);
    expect(distinct.stdout.trim()).toBe('0');
  });

  it('refuses --since with --from/--to before anything starts', async () => {
    const r = await runCli(['sync', '--since', '30d', '--from', '2026-01-01'], { SYNC_DATA_DIR: mkdtempSync(join(tmpdir(), 'pmsync-since-')) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('it does not combine with --from/--to');
  });
});
