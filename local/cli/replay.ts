import { Command } from 'commander';
import { readSettings, SOURCE_SETTINGS } from '#shared/config.ts';
import { parseReplayWindow, replay, ReplayError, type ReplayReport } from '#shared/ops/replay.ts';
import { stageTarget } from './stage.ts';
import type { PlanWindow } from '#shared/sources/source.ts';
import { localDataDir, localWarehouse } from './warehouse.ts';
import { claimSimulatedWorld, enabledSources, SIMULATED_DEFAULTS, startSimulatedWorld } from './simulated.ts';
import { CLI_NUMBERS } from './numbers.ts';
import { openLocalOps } from './local-ops.ts';
import { logLevelOption, type LogLevel } from './log-level.ts';
import { commandFailed, reportFailures } from './failures.ts';
import { showSourceRetries } from './retry-notices.ts';

interface ReplayFlags {
  from?: string;
  to?: string;
  stage?: string;
  simulated?: boolean;
  markets: number;
  fills: number;
  chainFills?: number;
  subgraph?: boolean;
  seed: number;
  concurrency: number;
  logLevel: LogLevel;
}

export const replayCommand = (): Command =>
  new Command('replay')
    .description(
      'Re-fetch a window of history (ISO dates, or block numbers for the chain) and load it again. ' +
        'Safe: only fills missing from ClickHouse are added, and a replay never moves a watermark backwards.',
    )
    .option('--from <when>', 'start of the window: ISO date, or block number')
    .option('--to <when>', 'end of the window: ISO date, or block number')
    .option('--stage <stage>', 'invoke the deployed planner Lambda of this stage with the window')
    .option('--simulated', 'replay against simulated sources (same --markets/--fills/--seed as the sync)')
    .option('--markets <n>', 'simulated markets (both eras)', CLI_NUMBERS.markets, SIMULATED_DEFAULTS.markets)
    .option('--fills <n>', 'simulated fills (both eras)', CLI_NUMBERS.fills, SIMULATED_DEFAULTS.fills)
    .option('--chain-fills <n>', 'of those, fills after the 2026-04-28 migration (default: a third)', CLI_NUMBERS.chainFills)
    .option('--subgraph', 'with --simulated: V1 history from the simulated subgraph, as the sync took it')
    .option('--seed <n>', 'simulated dataset seed', CLI_NUMBERS.seed, SIMULATED_DEFAULTS.seed)
    .option('--concurrency <n>', 'fetchers at once (local)', CLI_NUMBERS.concurrency, 4)
    .addOption(logLevelOption())
    // A window it cannot plan is the operator's to fix: the message alone says what is wrong.
    .action(reportFailures((err) => (err instanceof ReplayError ? err.message : commandFailed('replay')(err)), main));

async function main(flags: ReplayFlags): Promise<void> {
  const window = parseReplayWindow(flags.from, flags.to, enabledSources(flags));
  let report: ReplayReport;
  if (flags.stage) {
    const target = await stageTarget(flags.stage);
    report = await replay({ state: target.state, invoke: target.invokePlanner! }, window);
    console.log(`${target.describe}\n${report.message}`);
    if (report.ok) console.log('the fetchers and loader take it from here; follow it with `npm run status -- --stage ' + flags.stage + '`');
  } else {
    report = await replayLocally(flags, window);
    console.log(report.message);
  }
  if (!report.ok) process.exitCode = 1;
}

/** Locally the planner and the whole cycle run here, through the same handlers (as `npm run sync -- --from/--to`). */
async function replayLocally(flags: ReplayFlags, window: PlanWindow): Promise<ReplayReport> {
  // The handlers' settings, as a Lambda reads its environment; --simulated points the sources at the stand-ins.
  const env: Record<string, string | undefined> = { ...process.env };
  const stopRetryNotices = showSourceRetries();
  const closers: (() => Promise<void>)[] = [async () => stopRetryNotices()];
  try {
    if (flags.simulated) {
      claimSimulatedWorld(localDataDir(true), flags);
      const world = await startSimulatedWorld(flags);
      closers.push(() => world.close());
      Object.assign(env, world.env);
    } else {
      readSettings(SOURCE_SETTINGS);
    }
    const { aws, target, dataDir } = await openLocalOps(flags.simulated);
    closers.push(() => aws.stop());
    const warehouse = localWarehouse(dataDir);
    closers.push(() => warehouse.client.close());
    const { runCycle } = await import('#local/runner.ts');
    let cycleNote = '';
    const report = await replay(
      {
        state: target.state,
        invoke: async (w) => {
          const result = await runCycle({ warehouse, aws, env, window: w, fetcherConcurrency: flags.concurrency, logLevel: flags.logLevel });
          cycleNote = result.ok
            ? `; re-fetched ${n(result.counters.FillsStaged)} fills in ${(result.elapsedMs / 1000).toFixed(1)} s: ` +
              `${n(result.counters.FillsAlreadyLoaded)} were loaded already, ${n(result.counters.FillsLoaded)} were missing and are now added` +
              (result.counters.ActivityReattributed > 0
                ? `; ${n(result.counters.ActivityReattributed)} splits, merges, redemptions or conversions now go to another wallet than when they were loaded (CHAIN_ADAPTERS changed), and positions are rebuilt`
                : '')
            : `; the cycle did not finish: ${result.reason} (run \`npm run sync\` to resume)`;
          return result.planner;
        },
      },
      window,
    );
    return { ...report, message: report.message + (report.ok ? cycleNote : '') };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

const n = (v: number) => v.toLocaleString('en-US');
