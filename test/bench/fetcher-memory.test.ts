import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '#bench/harness.ts';
import { FETCHER_MEMORY } from '#infra/function-memory.ts';
import { readSettings } from '#shared/config.ts';
import { INSTANT_SOURCES } from './tiny.ts';

/**
 * The deployed fetcher's memory follows its measured peak. One invocation per
 * source runs in a process of its own under the deployed heap cap
 * (FETCHER_MEMORY.heapMib, the fetcher's NODE_OPTIONS) at the deployed
 * PAGES_PER_OBJECT (the template sets none: the default), and each limit must
 * exceed the peak by FETCHER_MEMORY.headroom. The fetcher's working set is one
 * staged object, so the subgraph shard must fill at least two objects for the
 * peak to be the steady state a full-size shard reaches (docs/BENCHMARKS.md).
 */
describe('fetcher memory as deployed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pmsync-fetcher-memory-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pagesPerObject = readSettings(['PAGES_PER_OBJECT'], {}).PAGES_PER_OBJECT;

  it('peaks, per source, within the function memory size and the heap cap by the documented headroom', async () => {
    const report = await runBench({
      // The heaviest market holds 48,000 fills: one shard of more than two 20-page objects.
      fills: 60_000,
      markets: 5_000,
      seed: 3,
      topShare: 0.8,
      ...INSTANT_SOURCES,
      workers: 1,
      pagesPerObject,
      fetcherHeapMib: FETCHER_MEMORY.heapMib,
      loaderRows: 0,
      incrementalShare: 0,
      approaches: new Set(['fetcher']),
      workDir: join(dir, 'work'),
    });
    const runs = report.runs.filter((m) => m.name.startsWith('fetcher'));
    expect(runs.map((m) => m.result.extra.source).sort()).toEqual(['markets', 'subgraph']);
    for (const m of runs) {
      const label = String(m.result.extra.source);
      expect(m.result.reason, label).toBeUndefined();
      expect(m.result.ok, label).toBe(true);
      expect(m.result.extra.pagesPerObject, label).toBe(pagesPerObject);
      const rssMib = m.memory.maxRssBytes / 2 ** 20;
      const jsMib = m.memory.peakJsBytes / 2 ** 20;
      expect(rssMib, label).toBeGreaterThan(0);
      expect(rssMib * FETCHER_MEMORY.headroom, `${label}: peak RSS ${rssMib.toFixed(0)} MiB`).toBeLessThanOrEqual(FETCHER_MEMORY.memorySizeMb);
      expect(jsMib * FETCHER_MEMORY.headroom, `${label}: peak JS heap+external ${jsMib.toFixed(0)} MiB`).toBeLessThanOrEqual(FETCHER_MEMORY.heapMib);
    }
    const subgraph = runs.find((m) => m.result.extra.source === 'subgraph')!;
    expect(Number(subgraph.result.extra.objects)).toBeGreaterThanOrEqual(2);
  });
});
