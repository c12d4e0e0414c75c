import { mkdirSync, rmSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { load } from '#bench/lib/machine.ts';
import { boundedInt, boundedIntList, boundedNumber } from '#local/cli/numbers.ts';
import type { BenchPart } from './part.ts';
import type { AnalystLayout, AnalystSizeResult } from './analyst/measure.ts';
import { analystSection, analystTargets } from './analyst/report.ts';
import { runSizeInChild } from './analyst/spawn.ts';

/** Bytes a fill takes on disk in one design, with room for merges (384 today, 402 new at 10 M). */
const BYTES_PER_FILL_AND_DESIGN = 450;

/** Both designs at once when the disk holds both, else one after the other. */
function chooseLayout(asked: string, dir: string, fills: number): AnalystLayout {
  if (asked === 'both' || asked === 'one-at-a-time' || asked === 'new-only') return asked;
  mkdirSync(dir, { recursive: true });
  const { bavail, bsize } = statfsSync(dir);
  return bavail * bsize >= 2 * BYTES_PER_FILL_AND_DESIGN * fills ? 'both' : 'one-at-a-time';
}

const LAYOUT_NAMES: Record<AnalystLayout, string> = {
  both: 'both designs side by side',
  'one-at-a-time': 'one design at a time (the disk holds one)',
  'new-only': 'the new design alone',
};

const sizes = (v: unknown) =>
  String(v)
    .split(',')
    .map((s) => Math.round(Number(s.trim())))
    .filter((x) => Number.isFinite(x) && x >= 100);

/**
 * Issue 12 point 4: the analysts' queries on today's schema and on the new
 * design (schema version 5 and later), side by side on synthetic fills of Polymarket's
 * shape, at each size of --analyst-fills.
 */
export const analystPart: BenchPart = {
  name: 'analyst',
  addOptions: (command: Command) =>
    command
      .option('--analyst-fills <list>', 'analyst part: fills per size, comma-separated', boundedIntList(100, 1_000_000_000), [10_000_000, 100_000_000])
      .option('--analyst-runs <n>', 'analyst part: measured runs per query and design', boundedInt(3, 1_000), 7)
      .addOption(
        new Option(
          '--analyst-layout <layout>',
          'analyst part: both designs side by side (the new one by migration), one-at-a-time (a disk that holds one), new-only (the new design alone), or auto (both or one-at-a-time by free disk)',
        )
          .choices(['auto', 'both', 'one-at-a-time', 'new-only'])
          .default('auto'),
      )
      .option(
        '--analyst-data <dir>',
        'analyst part, new-only layout: keep the generated fills in this directory and reuse them on a later run with the same size and seed (100 M fills take over an hour to generate)',
      )
      .option('--analyst-budget-s <seconds>', 'analyst part: a query stops repeating after this long in total (after 3 runs)', boundedNumber(1, 86_400), 90)
      .hook('preAction', (command) => {
        const { analystData, analystLayout } = command.opts<{ analystData?: string; analystLayout?: string }>();
        if (analystData !== undefined && analystLayout !== 'new-only')
          command.error(`error: --analyst-data keeps the new design's data only: use it with --analyst-layout new-only, not ${analystLayout}`);
      }),
  async run(ctx) {
    const runs = Math.max(3, Math.round(Number(ctx.flags.analystRuns ?? 7)));
    const budgetMs = Number(ctx.flags.analystBudgetS ?? 90) * 1000;
    const results: AnalystSizeResult[] = [];
    const failures: string[] = [];
    const dataDir = ctx.flags.analystData === undefined ? null : resolve(String(ctx.flags.analystData));
    const asked = String(ctx.flags.analystLayout ?? 'auto');
    for (const fills of sizes(ctx.flags.analystFills ?? '10000000,100000000')) {
      const dir = join(dataDir ?? ctx.workDir, `analyst-${fills}-seed-${ctx.seed}`);
      try {
        const layout = chooseLayout(asked, dir, fills);
        ctx.log(`analyst ${fills} fills: ${LAYOUT_NAMES[layout]}${dataDir ? `, data kept in ${dir}` : ''}`);
        results.push(await runSizeInChild({ dir, fills, seed: ctx.seed, runs, budgetMs, layout, reuseData: dataDir !== null }, ctx.childExecArgv, ctx.log));
      } catch (err) {
        failures.push(`${fills} fills: ${(err as Error).message.split('\n')[0]}`);
        ctx.log(`FAILED at ${fills} fills: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        if (!ctx.keep && !dataDir) rmSync(dir, { recursive: true, force: true });
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
          r.queries.map((q) => `${q.name} ${q.today ? q.today.p50.toFixed(0) : '–'}→${q.next.p50.toFixed(1)} ms`).join(', ') +
          (r.ok ? '' : ` FAILED ${r.reason}`),
      ),
    };
  },
};
