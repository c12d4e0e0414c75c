import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loaderFastSection, loaderFastTargets, measureLoaderFast } from '#bench/parts/loader-fast.ts';
import { machineInfo } from '#bench/lib/machine.ts';

/** The loader-fast part at a small size: every load complete in both formats and on both paths; its speed is not tested. */
describe('npm run bench loader-fast part', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pmsync-loader-fast-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the same object in format 1 and format 2, embedded and over HTTP, each exactly once', async () => {
    const figures = await measureLoaderFast({ rows: 3_000, seed: 5, maxRowsPerInsert: 1_000 }, dir, [], () => undefined);
    expect(figures.rows).toBe(3_000);
    expect(figures.runs.map((r) => `${r.format}:${r.target}`)).toEqual(['v1:embedded', 'v2:embedded', 'v1:server', 'v2:server']);
    for (const run of figures.runs) {
      expect(run.figures.rows, `${run.format} → ${run.target}`).toBe(3_000);
      expect(run.count, `${run.format} → ${run.target}`).toBe(3_000);
      expect(run.countFinal, `${run.format} → ${run.target}`).toBe(3_000);
      expect(run.figures.cpuMs).toBeGreaterThan(0);
    }
    // Format 2 stages fewer bytes than format 1 for the same fills.
    expect(figures.runs[1]!.gzipBytes).toBeLessThan(figures.runs[0]!.gzipBytes);
    const targets = loaderFastTargets(figures, 2);
    expect(targets.map((t) => t.target)).toHaveLength(4);
    const section = loaderFastSection(figures, { machine: machineInfo(), command: 'test' } as Parameters<typeof loaderFastSection>[1], targets);
    expect(section).toContain('format 2 (zstd, fills as TSV');
    expect(section.match(/\| yes \|/g)).toHaveLength(4);
  });
});
