import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { load } from '#bench/lib/machine.ts';
import { boundedInt, boundedIntList, boundedNumber } from '#local/cli/numbers.ts';
import type { BenchPart } from './part.ts';
import type { AnalystSizeResult } from './analyst/measure.ts';
import { analystSection, analystTargets } from './analyst/report.ts';
import { runSizeInChild } from './analyst/spawn.ts';

const sizes = (v: unknown) =>
  String(v)
    .split(',')
    .map((s) => Math.round(Number(s.trim())))
    .filter((x) => Number.isFinite(x) && x >= 100);

/**
 * Issue 12 point 4: the analysts' queries on today's schema and on the new
 * design (schema version 5), side by side on synthetic fills of Polymarket's
 * shape, at each size of --analyst-fills.
 */
export const analystPart: BenchPart = {
  name: 'analyst',
  addOptions: (command: Command) =>
    command
      .option('--analyst-fills <list>', 'analyst part: fills per size, comma-separated', boundedIntList(100, 1_000_000_000), [10_000_000, 100_000_000])
      .option('--analyst-runs <n>', 'analyst part: measured runs per query and design', boundedInt(3, 1_000), 7)
      .option('--analyst-budget-s <seconds>', 'analyst part: a query stops repeating after this long in total (after 3 runs)', boundedNumber(1, 86_400), 90),
  async run(ctx) {
    const runs = Math.max(3, Math.round(Number(ctx.flags.analystRuns ?? 7)));
    const budgetMs = Number(ctx.flags.analystBudgetS ?? 90) * 1000;
    const results: AnalystSizeResult[] = [];
    const failures: string[] = [];
    for (const fills of sizes(ctx.flags.analystFills ?? '10000000,100000000')) {
      const dir = join(ctx.workDir, `analyst-${fills}`);
      try {
        results.push(await runSizeInChild({ dir, fills, seed: ctx.seed, runs, budgetMs }, ctx.childExecArgv, ctx.log));
      } catch (err) {
        failures.push(`${fills} fills: ${(err as Error).message.split('\n')[0]}`);
        ctx.log(`FAILED at ${fills} fills: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        if (!ctx.keep) rmSync(dir, { recursive: true, force: true });
      }
    }
    const loadAverage = load();
    ctx.log(`load average ${loadAverage}`);
    const ok = failures.length === 0 && results.length > 0 && results.every((r) => r.ok);
    return {
      section: analystSection(ctx, results, runs, failures, loadAverage),
      targets: analystTargets(results),
      ok,
      summary: results.map(
        (r) =>
          `analyst ${r.spec.fills}: ` +
          r.queries.map((q) => `${q.name} ${q.today.p50.toFixed(0)}→${q.next.p50.toFixed(1)} ms`).join(', ') +
          (r.ok ? '' : ` FAILED ${r.reason}`),
      ),
    };
  },
};
