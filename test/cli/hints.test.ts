import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSomeData } from '#local/cli/diagnosis.ts';
import { SIMULATED_WORLD_FILE, syncCommandLine } from '#local/cli/simulated.ts';

/** The commands a hint tells a person to run next carry what they need to reach the same data. */
describe('hints name the command that reaches the same data', () => {
  it('a resume or backfill hint keeps the simulated world and its flags', () => {
    expect(syncCommandLine({})).toBe('npm run sync');
    expect(syncCommandLine({ simulated: false }, '--from', 'a', '--to', 'b')).toBe('npm run sync -- --from a --to b');
    expect(syncCommandLine({ simulated: true, seed: 1, markets: 40, fills: 30_000 })).toBe('npm run sync -- --simulated');
    expect(syncCommandLine({ simulated: true, seed: 7, markets: 60, fills: 60_000, subgraph: true }, '--from', 'a')).toBe(
      'npm run sync -- --simulated --seed 7 --markets 60 --fills 60000 --subgraph --from a',
    );
    expect(syncCommandLine({ simulated: true, seed: 1, markets: 40, fills: 30_000, chainFills: 500 })).toBe('npm run sync -- --simulated --chain-fills 500');
  });

  it('an empty real warehouse next to synced simulated data says to add --simulated first', () => {
    const root = mkdtempSync(join(tmpdir(), 'pmsync-hints-'));
    const simulatedDir = join(root, 'simulated');
    const withoutWorld = getSomeData(['node', 'bin', 'query', 'SELECT 1'], {}, simulatedDir);
    expect(withoutWorld[0]).toContain('npm run sync -- --simulated');

    mkdirSync(simulatedDir, { recursive: true });
    writeFileSync(join(simulatedDir, SIMULATED_WORLD_FILE), '{}');
    const hints = getSomeData(['node', 'bin', 'query', 'SELECT 1'], {}, simulatedDir);
    expect(hints[0]).toBe(`the simulated data is in ${simulatedDir}: add \`--simulated\` to this command`);
    expect(hints).toHaveLength(3);
    // Already simulated, or pointed elsewhere on purpose: the flag is not what is missing.
    expect(getSomeData(['node', 'bin', 'query', '--simulated', 'SELECT 1'], {}, simulatedDir)).toHaveLength(2);
    expect(getSomeData(['node', 'bin', 'query', 'SELECT 1'], { SYNC_DATA_DIR: '/elsewhere' }, simulatedDir)).toHaveLength(2);
  });
});
