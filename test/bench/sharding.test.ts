import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureSharding, modelledShare, SHARDING_VARIANTS, shardingSection, shardingTargets, shares, type ShardingOptions } from '#bench/parts/sharding.ts';
import { QUEUE_SETTINGS } from '#shared/pipeline/queue-settings.ts';
import { BENCH_PARTS } from '#bench/parts/index.ts';
import { machineInfo } from '#bench/lib/machine.ts';
import { minShardsFor } from '#shared/sources/source.ts';

/** The sharding part at a small size: its counts must be right; its speed is not tested. */
describe('npm run bench sharding part', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pmsync-sharding-bench-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('models the schedule a plan allows: shards of one fetcher run one after another, those of one invocation side by side', () => {
    // Two one-page shards, one fetcher, 1 s latency, a pacer that never waits long (1,000/s).
    const o = { rate: 1_000, pageSize: 100, latencyMs: 1_000 };
    const oneAtATime = modelledShare([50, 50], 1, o, 1);
    const sideBySide = modelledShare([50, 50], 1, o, 2);
    // 100 fills over 2 s (one after another) and over 1.001 s (together, the second waits one pacer turn).
    expect(oneAtATime).toBeCloseTo(100 / (2 * 1_000 * 100), 9);
    expect(sideBySide).toBeCloseTo(100 / (1.001 * 1_000 * 100), 9);
    // An invocation takes its next batch only once both of its shards are done: the third (one page) starts when the
    // second's three pages end, at 3.001 s, and ends at 4.001 s.
    expect(modelledShare([50, 250, 50], 1, o, 2)).toBeCloseTo(350 / (4.001 * 1_000 * 100), 9);
  });

  it('runs a backfill before and as shipped for each fetcher count, every fill once, and writes its section and targets', async () => {
    expect(BENCH_PARTS.map((p) => p.name)).toContain('sharding');
    // 100-row pages so that 4,000 fills are 40 pages: enough for 2 fetchers' shards of at least 4 pages each.
    const before = SHARDING_VARIANTS[0]!;
    const shipped = SHARDING_VARIANTS.at(-1)!;
    const options: ShardingOptions = {
      fills: 4_000,
      seed: 5,
      rate: 1_000,
      latencyMs: 0,
      fetchers: [2],
      pageSize: 100,
      topShare: 0.1,
      variants: [before, shipped],
    };
    const lines: string[] = [];
    const figures = await measureSharding(options, dir, [], (line) => lines.push(line));

    expect(figures.runs.map((r) => [r.fetchers, r.sizeByParallelism, r.shardsPerFetcher])).toEqual([
      [2, false, 1],
      [2, true, QUEUE_SETTINGS.fetcherBatchSize],
    ]);
    for (const run of figures.runs) {
      expect(run.result.reason).toBeUndefined();
      expect(run.result.ok).toBe(true);
      expect(run.result.fillsInWarehouse).toBe(4_000);
      // Every fill is staged in the fetch phase: the planner fetches none.
      expect(run.result.fillsStaged).toBe(4_000);
      expect(run.result.fetcherInvocations * run.shardsPerFetcher).toBeGreaterThanOrEqual(run.result.shards);
      expect(run.result.fetchRequests).toBeGreaterThanOrEqual(40);
    }
    const [beforeRun, after] = figures.runs;
    expect(beforeRun!.result.shards).toBe(1);
    expect(after!.result.shards).toBeGreaterThanOrEqual(minShardsFor(2));

    const s = shares(after!, options);
    expect(s.ceiling).toBe(1);
    expect(s.fillShare).toBeGreaterThan(0);

    const targets = shardingTargets(figures);
    expect(targets.map((t) => t.target)).toEqual([
      'fetch phase ≥ 80.0% of the source limit with 2 fetchers as shipped (shards sized by parallelism, 2 a fetcher; measured)',
      'the plan allows ≥ 80.0% of the source limit with 2 fetchers as shipped (schedule model, no CPU)',
      'every run loads every fill exactly once (count() FINAL = the source)',
    ]);
    expect(targets[0]!.measured).toContain(`shards 1 → ${after!.result.shards}`);
    expect(targets[2]!.met).toBe(true);
    // The plan's schedule: each shard's rows staged, adding up to the history.
    expect(after!.result.shardRows).toHaveLength(after!.result.shards);
    expect(after!.result.shardRows.reduce((a, b) => a + b, 0)).toBe(4_000);
    expect(s.modelled).toBeGreaterThan(0);
    expect(s.modelled).toBeLessThanOrEqual(1);
    const section = shardingSection(figures, { machine: machineInfo(), command: 'npm run bench -- --only sharding' });
    expect(section).toContain('### Sharding for parallelism');
    expect(section).toContain('| 2 | 1 | rows (before) | 1 |');
    expect(section).toContain(`| 2 | 2 | rows and parallelism (as shipped) | ${after!.result.shards} |`);
    expect(section.match(/^- (✅ met|❌ missed): /gm)).toHaveLength(3);
    expect(section).not.toContain('slowed down');
    // Slowed down 8x, the section states the limit as the run met it and as stated.
    const slowed = shardingSection(
      { ...figures, options: { ...options, rate: 5, latencyMs: 1_600, slowdown: 8 } },
      { machine: machineInfo(), command: 'npm run bench -- --only sharding' },
    );
    expect(slowed).toContain('limited to 5 requests/s');
    expect(slowed).toContain('the stated 40 requests/s and 200 ms slowed down 8x');
    expect(slowed).toContain('rate × latency = 8.0, are the same');
  });
});
