import { Command } from 'commander';
import { CLICKHOUSE_SETTINGS, readSettings, SOURCE_SETTINGS } from '#shared/config.ts';
import { buildSources } from '#shared/sources/registry.ts';
import { parseOperatorWindow, parseSince, WindowError } from '#shared/ops/window.ts';
import type { CycleResult } from '#local/runner.ts';
import { holdDataDir } from '#local/data-dir-lock.ts';
import { localDataDir, localWarehouse } from './warehouse.ts';
import { claimSimulatedWorld, enabledSources, SIMULATED_DEFAULTS, startSimulatedWorld, syncCommandLine } from './simulated.ts';
import { CLI_NUMBERS } from './numbers.ts';
import { logLevelOption, type LogLevel } from './log-level.ts';
import { commandFailed, reportFailures, stackText } from './failures.ts';
import { incompleteRunCause } from './diagnosis.ts';
import { progressReporter } from './progress.ts';
import { showSourceRetries } from './retry-notices.ts';

interface SyncFlags {
  simulated?: boolean;
  markets: number;
  fills: number;
  chainFills?: number;
  subgraph?: boolean;
  seed: number;
  from?: string;
  to?: string;
  since?: string;
  concurrency: number;
  logLevel: LogLevel;
}

export const syncCommand = (): Command =>
  new Command('sync')
    .description('Run one scheduled sync cycle on this machine: plan, fetch, stage and load into ClickHouse')
    .option('--simulated', 'run offline against simulated sources generated from --markets/--fills/--seed')
    .option('--markets <n>', 'simulated markets (both eras)', CLI_NUMBERS.markets, SIMULATED_DEFAULTS.markets)
    .option('--fills <n>', 'simulated fills (both eras)', CLI_NUMBERS.fills, SIMULATED_DEFAULTS.fills)
    .option('--chain-fills <n>', 'of those, fills after the 2026-04-28 migration (default: a third)', CLI_NUMBERS.chainFills)
    .option('--subgraph', 'with --simulated: take V1 history from the simulated subgraph instead of the chain')
    .option('--seed <n>', 'simulated dataset seed', CLI_NUMBERS.seed, SIMULATED_DEFAULTS.seed)
    .option('--from <when>', 'backfill a window from this date (ISO) or block number')
    .option('--to <when>', 'backfill a window up to this date (ISO) or block number')
    .option('--since <when>', 'a bounded first sync: start from this date (ISO) or this long ago (30d, 12h, 2w) instead of all history')
    .option('--concurrency <n>', 'fetchers at once (the SQS event source maxConcurrency)', CLI_NUMBERS.concurrency, 4)
    .addOption(logLevelOption())
    // A window it cannot plan is the operator's to fix: the message alone says what is wrong (as replay says it).
    .action(reportFailures((err) => (err instanceof WindowError ? err.message : commandFailed('sync', stackText)(err)), main));

async function main(flags: SyncFlags): Promise<void> {
  // Refused before anything starts, by the rules and in the words replay uses (shared/ops/window.ts).
  const window = parseOperatorWindow({ from: flags.from, to: flags.to, since: flags.since }, { sources: enabledSources(flags) });
  const since = flags.since ? parseSince(flags.since, Date.now()) : undefined;
  // So is a wrong CLICKHOUSE_URL (plain http to another host) or pipeline setting, before the simulated world starts.
  readSettings(CLICKHOUSE_SETTINGS);
  readSettings(['PAGES_PER_OBJECT', 'FETCHER_CONCURRENCY']);
  const dataDir = localDataDir(flags.simulated);
  // The handlers read their settings from here, as a Lambda reads its environment; --simulated points the sources at the stand-ins.
  const env: Record<string, string | undefined> = { ...process.env };
  // Held for the whole command (the stand-ins and the engine both live there): a second sync on it stops here.
  const release = holdDataDir(dataDir);
  const closers: (() => Promise<void>)[] = [async () => release()];
  const abort = new AbortController();
  const interrupt = () => {
    if (abort.signal.aborted) {
      console.error('\nstopping now');
      process.exit(130);
    }
    console.error('\nstopping: the pages in flight finish and are kept; run the command again to resume (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', interrupt);
  const progress = progressReporter();
  const stopRetryNotices = showSourceRetries(progress.note);
  try {
    if (flags.simulated) {
      claimSimulatedWorld(dataDir, flags);
      const world = await startSimulatedWorld(flags);
      closers.push(() => world.close());
      Object.assign(env, world.env);
      console.error(world.describe);
    } else {
      // Fail before touching anything if a source setting is wrong, or the sources do not go together.
      buildSources(readSettings(SOURCE_SETTINGS));
    }
    const warehouse = localWarehouse(dataDir);
    closers.push(() => warehouse.client.close());
    console.error(`warehouse: ${warehouse.describe}\nstate: ${dataDir}`);

    const [{ runCycle, PlanningInterruptedError }, { startLocalAws }, { beforeCycle }] = await Promise.all([
      import('#local/runner.ts'),
      import('#local/emulators.ts'),
      import('./first-sync.ts'),
    ]);
    const aws = await startLocalAws({ dataDir });
    closers.push(() => aws.stop());
    console.error('planning: asking each source how far it reaches');
    // A first sync prints what it will fetch; --since records where it starts and how to load the rest later.
    await beforeCycle({
      aws,
      env,
      since,
      window,
      log: (line) => console.error(line),
      signal: abort.signal,
      syncCommandLine: (...args) => syncCommandLine(flags, ...args),
    }).catch((err: unknown) => {
      // Ctrl-C while the sources plan the estimate: nothing was fetched or recorded but --since's starting points, which a re-run keeps.
      if (abort.signal.aborted) throw new PlanningInterruptedError('interrupted while planning; nothing was fetched yet: run the command again to start over');
      throw err;
    });
    let result: CycleResult;
    try {
      result = await runCycle({
        warehouse,
        aws,
        env,
        window,
        fetcherConcurrency: flags.concurrency,
        onProgress: progress.update,
        signal: abort.signal,
        logLevel: flags.logLevel,
      });
    } catch (err) {
      progress.stop();
      throw err;
    }
    progress.stop({ complete: result.ok });
    const counts = await tableCounts(warehouse).catch(() => null);
    if (result.planner.outcome === 'resumed' && result.planner.windowIgnored) {
      console.error('note: an unfinished run was resumed first; --from/--to were not applied. Run the command again to backfill the window.');
    }
    printSummary(result, counts);
    // The re-run resumes the open run: the same world, without a window (it would not be applied while a run is open).
    if (abort.signal.aborted) console.error(`to resume: ${syncCommandLine(flags)}`);
    if (!result.ok) {
      const why = result.sourceError === undefined ? null : incompleteRunCause(result.sourceError, result.deadLetters.shards + result.deadLetters.loads);
      if (why) console.error(why);
      process.exitCode = 1;
    }
  } finally {
    stopRetryNotices();
    process.off('SIGINT', interrupt);
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

async function tableCounts(w: ReturnType<typeof localWarehouse>) {
  const res = await w.client.query({
    query: `SELECT (SELECT count() FROM ${w.database}.fills FINAL) AS fills, (SELECT count() FROM ${w.database}.markets FINAL) AS markets,
            (SELECT count() FROM ${w.database}.rejects) AS rejects, (SELECT countIf(NOT is_mapped) FROM ${w.database}.trades) AS unmapped,
            (SELECT count() FROM ${w.database}.activity FINAL) AS activity, (SELECT countIf(is_resolved = 1) FROM ${w.database}.conditions FINAL) AS resolved,
            (SELECT count() FROM ${w.database}.positions FINAL) AS positions, (SELECT count() FROM ${w.database}.wallet_pnl) AS wallets,
            (SELECT count() FROM ${w.database}.wallets FINAL) AS proxies,
            (SELECT count() FROM ${w.database}.wallet_pnl WHERE wallet IN (SELECT proxy FROM ${w.database}.wallets)) AS owned`,
    format: 'JSONEachRow',
  });
  const [row] = (await res.json()) as {
    fills: string;
    markets: string;
    rejects: string;
    unmapped: string;
    activity: string;
    resolved: string;
    positions: string;
    wallets: string;
    proxies: string;
    owned: string;
  }[];
  return row;
}

function printSummary(r: CycleResult, totals: Awaited<ReturnType<typeof tableCounts>> | null): void {
  const c = r.counters;
  const secs = r.elapsedMs / 1000;
  const n = (x: number | string) => Number(x).toLocaleString('en-US').padStart(12);
  const lines = [
    '',
    `polymarket-sync: ${r.ok ? 'run complete' : `run NOT complete: ${r.reason}`}${r.runId ? ` (run ${r.runId})` : ''}`,
    `  fills added        ${n(r.fillsAdded)}   staged ${n(c.FillsStaged).trim()}, sent to ClickHouse ${n(c.FillsLoaded).trim()} (retries are deduplicated)`,
    `  markets loaded     ${n(c.MarketsLoaded)}`,
    `  activity loaded    ${n(c.ActivityLoaded)}   splits, merges, redemptions and conversions`,
    `  positions updated  ${n(c.PositionsUpdated)}   ${r.positions ? `current through block ${r.positions.upToBlock.toLocaleString('en-US')}` : 'none yet: the chain has no watermark'}${c.PositionsRefreshFailed ? `, ${c.PositionsRefreshFailed} refresh(es) failed (see the log)` : ''}`,
    `  rows rejected      ${n(c.RowsRejected)}`,
    `  source requests    ${n(c.SourceRequests)}   retries ${c.SourceRetries}, throttled (429) ${c.SourceThrottled}, server errors ${c.SourceServerErrors}, timeouts ${c.SourceTimeouts}`,
    `  staged objects     ${n(c.ObjectsStaged)}   loaded ${c.ObjectsLoaded}`,
    `  invocations        fetcher ${r.invocations.fetcher}, loader ${r.invocations.loader}, failed messages ${r.invocations.failedMessages}, dead letters ${r.deadLetters.shards + r.deadLetters.loads}`,
    `  shards             handed back ${c.ShardsHandedBack} (out of time), split ${c.ShardsSplit} of ${c.ShardSplitsAsked} asked (an idle fetcher took half)`,
    `  elapsed            ${secs.toFixed(1).padStart(12)} s   (${Math.round(r.fillsAdded / Math.max(secs, 0.001)).toLocaleString('en-US')} fills/s)`,
  ];
  if (totals) {
    const k = (x: string) => Number(x).toLocaleString('en-US');
    lines.push(
      `  in ClickHouse      ${n(totals.fills)} fills, ${k(totals.markets)} markets, ${k(totals.rejects)} rejects, ${k(totals.unmapped)} fills without a known market`,
    );
    lines.push(
      `                     ${k(totals.activity)} activity rows, ${k(totals.resolved)} resolved conditions, ${k(totals.positions)} positions of ${k(totals.wallets)} wallets`,
    );
    lines.push(
      `                     ${k(totals.proxies)} proxy wallets and Safes with their owners (${k(totals.owned)} of the ${k(totals.wallets)} wallets with positions)`,
    );
  }
  console.log(lines.join('\n'));
}
