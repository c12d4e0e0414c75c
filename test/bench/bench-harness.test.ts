import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '#bench/harness.ts';
import { BEGIN, END, checkTargets, generatedSection, writeBenchmarksDoc } from '#bench/lib/markdown.ts';
import { consoleSummary } from '#bench/lib/report.ts';
import { INSTANT_SOURCES } from './tiny.ts';

/** The benchmark harness on a tiny dataset, so it cannot rot: every approach runs in its child and reports. */
describe('npm run bench harness', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pmsync-bench-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every approach on a tiny dataset and writes the report', async () => {
    const report = await runBench({
      fills: 3_000,
      markets: 30,
      seed: 7,
      topShare: 0.3,
      ...INSTANT_SOURCES,
      workers: 2,
      loaderRows: 3_000,
      incrementalShare: 0.05,
      approaches: new Set(['pipeline', 'per-market', 'global-cursor', 'fetcher', 'loader', 'loader-sink', 'incremental']),
      workDir: join(dir, 'work'),
    });
    const byName = Object.fromEntries(report.runs.map((m) => [m.name, m]));
    for (const name of ['pipeline', 'per-market', 'global-cursor', 'loader-1-object', 'loader-20k-objects', 'loader-http-sink']) {
      expect(byName[name]?.result.reason, name).toBeUndefined();
      expect(byName[name]?.result.fillsInWarehouse, name).toBe(3_000);
      expect(byName[name]?.memory.maxRssBytes, name).toBeGreaterThan(0);
    }
    expect(byName.fetcher?.result.ok).toBe(true);
    expect(byName['per-market']!.result.clickhouseInserts).toBe(30);
    expect(byName.pipeline!.source.requests).toBeGreaterThan(0);
    expect(report.incremental?.measured.result.extra.newFills).toBe(150);
    expect(report.cost?.find((c) => c.item === 'S3 PUT')?.perMillionFills).toBeGreaterThan(0);
    expect(checkTargets(report).length).toBeGreaterThanOrEqual(6);

    const doc = join(dir, 'BENCHMARKS.md');
    writeBenchmarksDoc(doc, generatedSection(report, 'npm run bench -- --fills 3000'));
    writeBenchmarksDoc(doc, generatedSection(report, 'npm run bench -- --fills 3000'));
    const text = readFileSync(doc, 'utf8');
    expect(text.split(BEGIN)).toHaveLength(2);
    expect(text).toContain(END);
    expect(text).toContain(report.machine.cpuModel);
    expect(consoleSummary(report)).toContain('(a) our pipeline');
  });
});
