import { beforeAll, describe, expect, it } from 'vitest';
import { machineInfo } from '#bench/lib/machine.ts';
import { BENCH_PARTS } from '#bench/parts/index.ts';
import { runSplitsBench, splitsSection, type SplitsBenchOptions, type SplitsBenchRun } from '#bench/parts/splits.ts';

/**
 * The splits part at a small size: with shard splits off and on, the chain
 * source reads every fill of a world with a density spike exactly once, and
 * the section reports both runs. Its speed is not tested (the figures come
 * from `npm run bench -- --only splits`).
 */
describe('npm run bench splits part', () => {
  const options: SplitsBenchOptions = {
    fetchers: 4,
    sparseBlocks: 8_000,
    sparseFillsPerBlock: 0.1,
    spikeBlocks: 400,
    spikeFillsPerBlock: 2,
    maxResults: 50,
    callsPerSecond: 200,
    latencyMs: 5,
    seed: 3,
  };
  let run: SplitsBenchRun;

  beforeAll(async () => {
    run = await runSplitsBench(options, (line) => console.log(`splits smoke: ${line}`));
  });

  it('reads every fill once, the coverage tiling the range, with splits off and on; off splits nothing', () => {
    expect(run.runs.map((r) => r.splits)).toEqual([false, true]);
    expect(run.fills).toBeGreaterThan(1_000);
    for (const r of run.runs) expect(r.exact, `splits ${r.splits ? 'on' : 'off'}`).toBe(true);
    expect(run.runs[0]?.splitOff).toBe(0);
  });

  it('finds the shard that holds the spike, which the plan underestimated', () => {
    const off = run.runs[0]!;
    expect(off.spikeShard).not.toBeNull();
    expect(off.spikeShard!.fills).toBeGreaterThan(off.spikeShard!.estimatedRows);
  });

  it('writes a section with both runs, and is a part of npm run bench', () => {
    const section = splitsSection(run, options, { machine: machineInfo(), command: 'npm run bench -- --only splits', loadBefore: '0', loadAfter: '0' });
    expect(section).toMatch(/^### Shard splits/);
    expect(section).toMatch(/\| off \| \d+ \+ 0 \|/);
    expect(section).toMatch(/\| on \| \d+ \+ \d+ \|/);
    expect(BENCH_PARTS.map((p) => p.name)).toContain('splits');
  });
});
