import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIMULATED_WORLD_VERSION } from '#simulator/world/version.ts';
import { runCli, simulatedFills, type CliRun } from './spawn-cli.ts';

/**
 * Each seed, size and V1 source is a simulated world of its own, whose fills
 * share no ids with another's: a data directory holds one of them, and a run
 * of another there is refused before it starts, with the warehouse as it was.
 */
const SMALL_WORLD = ['--simulated', '--fills', '300', '--markets', '4'];
const output = (r: CliRun) => `${r.stdout}\n${r.stderr}`;

describe('one simulated world per data directory', () => {
  it('refuses another seed or the subgraph world in a directory that holds one, and loses nothing', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmsync-worlds-'));
    const first = await runCli(['sync', ...SMALL_WORLD], { SYNC_DATA_DIR: dir });
    expect(first.code, output(first)).toBe(0);
    const { expected, loaded } = simulatedFills(first);
    expect(loaded).toBe(expected);
    // Traders trade from Safes and proxy wallets the chain records, and the summary says whose they are.
    expect(first.stdout).toMatch(/ [1-9][\d,]* proxy wallets and Safes with their owners \([1-9][\d,]* of the [\d,]+ wallets with positions\)/);
    expect(JSON.parse(readFileSync(join(dir, 'simulated-world.json'), 'utf8'))).toEqual({
      seed: 1,
      markets: 4,
      fills: 300,
      chainFills: 100,
      v1From: 'chain',
      worldVersion: SIMULATED_WORLD_VERSION,
    });

    for (const other of [
      { args: ['--seed', '7'], asked: '--seed 7 --markets 4 --fills 300 --chain-fills 100' },
      { args: ['--subgraph'], asked: '--seed 1 --markets 4 --fills 300 --chain-fills 100 --subgraph' },
      { args: ['--chain-fills', '150'], asked: '--seed 1 --markets 4 --fills 300 --chain-fills 150' },
    ]) {
      const refused = await runCli(['sync', ...SMALL_WORLD, ...other.args], { SYNC_DATA_DIR: dir });
      expect(refused.code, output(refused)).toBe(1);
      expect(refused.stderr).toContain(`holds the simulated world of --seed 1 --markets 4 --fills 300 --chain-fills 100; this run asks for ${other.asked}.`);
      expect(refused.stderr).toContain('SYNC_DATA_DIR=');
      expect(refused.stderr).not.toMatch(/^\s+at /m);
      // Refused before the world starts: nothing was planned or fetched.
      expect(refused.stderr).not.toContain('simulated sources:');
      expect(refused.stderr).not.toContain('planning:');
    }
    const replay = await runCli(['replay', ...SMALL_WORLD, '--seed', '7', '--from', '2026-05-01', '--to', '2026-05-02'], { SYNC_DATA_DIR: dir });
    expect(replay.code, output(replay)).toBe(1);
    expect(replay.stderr).toContain('this run asks for --seed 7');

    // The refused runs left the warehouse as the first run did: its world's fills, each once.
    const counts = await runCli(
      ['query', '--simulated', '--format', 'TSV', 'SELECT count(), (SELECT count() FROM polymarket.fills FINAL), uniqExact(fill_id) FROM polymarket.fills'],
      { SYNC_DATA_DIR: dir },
    );
    expect(counts.code, output(counts)).toBe(0);
    expect(counts.stdout.trim().split('\t').map(Number)).toEqual([expected, expected, expected]);
  });

  it('refuses the same flags in a directory an older build of the simulator synced, whose world has other transactions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmsync-worlds-old-'));
    const firstBuild = { seed: 1, markets: 4, fills: 300, chainFills: 100, v1From: 'chain' };
    writeFileSync(join(dir, 'simulated-world.json'), `${JSON.stringify(firstBuild)}\n`);
    const refused = await runCli(['sync', ...SMALL_WORLD], { SYNC_DATA_DIR: dir });
    expect(refused.code, output(refused)).toBe(1);
    expect(refused.stderr).toContain(
      'holds the simulated world of --seed 1 --markets 4 --fills 300 --chain-fills 100 as an older polymarket-sync built it (world version 1)',
    );
    expect(refused.stderr).toContain(`SYNC_DATA_DIR=`);
    expect(refused.stderr).not.toContain('simulated sources:');
    expect(JSON.parse(readFileSync(join(dir, 'simulated-world.json'), 'utf8'))).toEqual(firstBuild);
  });
});
