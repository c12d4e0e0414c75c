import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '#bench/harness.ts';
import { FETCHER_MEMORY } from '#infra/function-memory.ts';
import { readSettings } from '#shared/config.ts';
import { QUEUE_SETTINGS } from '#shared/pipeline/queue-settings.ts';
import { INSTANT_SOURCES } from './tiny.ts';

/**
 * The deployed fetcher's memory follows its measured peak. One invocation per
 * source runs in a process of its own at the deployed PAGES_PER_OBJECT (the
 * template sets none: the default), with V8's heap capped at the deployed cap
 * (FETCHER_MEMORY.heapMib, the fetcher's NODE_OPTIONS) divided by
 * FETCHER_MEMORY.headroom: finishing there shows the working set fits the
 * deployed cap with that headroom. A peak taken under the deployed cap itself
 * would measure when V8 chooses to collect, not what the fetcher holds (it
 * moved 114-132 MiB between runs of the same code). The function's memory
 * size must exceed the peak RSS by the headroom. An invocation fetches its batch's
 * shards side by side (QUEUE_SETTINGS.fetcherBatchSize), each holding one staged
 * object, so the run takes the largest shards together and each must fill at
 * least two objects for the peak to be the steady state full-size shards reach
 * (docs/BENCHMARKS.md).
 */
describe('fetcher memory as deployed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pmsync-fetcher-memory-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pagesPerObject = readSettings(['PAGES_PER_OBJECT'], {}).PAGES_PER_OBJECT;

  it('peaks, per source, within the function memory size and the heap cap by the documented headroom', async () => {
    const report = await runBench({
      // The heaviest market holds 45,000 fills and the rest fill shards of 50,000: the two largest shards are over two 20-page objects each.
      fills: 100_000,
      markets: 5_000,
      seed: 3,
      topShare: 0.45,
      ...INSTANT_SOURCES,
      workers: 1,
      pagesPerObject,
      fetcherHeapMib: FETCHER_MEMORY.heapMib / FETCHER_MEMORY.headroom,
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
      // Everything counted (the young generation and buffers are outside the cap), it stays within the deployed cap.
      expect(jsMib, `${label}: peak JS heap+external ${jsMib.toFixed(0)} MiB`).toBeLessThanOrEqual(FETCHER_MEMORY.heapMib);
    }
    const subgraph = runs.find((m) => m.result.extra.source === 'subgraph')!;
    expect(subgraph.result.extra.shards).toBe(QUEUE_SETTINGS.fetcherBatchSize);
    expect(Number(subgraph.result.extra.fewestObjectsOfAShard)).toBeGreaterThanOrEqual(2);
  });
});
