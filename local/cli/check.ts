import { Command, InvalidArgumentError, Option } from 'commander';
import { readSettings } from '#shared/config.ts';
import { genesisFromSettings } from '#shared/sources/chain/from-settings.ts';
import { errorText } from '#shared/ops/status.ts';
import { stageChainAdapters, stageTarget } from './stage.ts';
import { formatReport } from '#shared/ops/quality/format.ts';
import { runChecks } from '#shared/ops/quality/run.ts';
import type { ChainRange } from '#shared/ops/quality/coverage.ts';
import type { StateStore } from '#shared/ports/state.ts';
import { CHECK_NAMES, DEFAULT_THRESHOLDS, type CheckName } from '#shared/ops/quality/types.ts';
import { localDataDir, localWarehouse } from './warehouse.ts';
import { openLocalOps } from './local-ops.ts';
import { commandFailed, reportFailures } from './failures.ts';
import { getSomeData } from './diagnosis.ts';
import { databaseExists } from './empty-state.ts';

interface CheckFlags {
  simulated?: boolean;
  json?: boolean;
  stage?: string;
  fromBlock?: bigint;
  toBlock?: bigint;
  state: boolean;
  record: boolean;
  only?: CheckName[];
  days: number;
  maxDrop: number;
  maxUnmapped: number;
  recentDays: number;
  maxSeamGap: number;
  adapterTransactions: number;
}

const block = (v: string): bigint => {
  if (!/^(0|[1-9][0-9]*)$/.test(v)) throw new InvalidArgumentError('must be a block number');
  return BigInt(v);
};
const count = (v: string): number => {
  if (!/^(0|[1-9][0-9]*)$/.test(v)) throw new InvalidArgumentError('must be a whole number');
  return Number(v);
};
const percent = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError('must be a percentage between 0 and 100');
  return n;
};
const names = (v: string): CheckName[] => {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((n) => !(CHECK_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown check ${unknown.join(', ')}; known: ${CHECK_NAMES.join(', ')}`);
  return list as CheckName[];
};

export const checkCommand = (): Command =>
  new Command('check')
    .description("Data-quality checks on the sync's ClickHouse (embedded by default, CLICKHOUSE_URL for a server). Exit status 2 when a check fails.")
    .option('--simulated', 'check the database of `npm run sync -- --simulated`')
    .option('--json', 'print the report as JSON')
    .option('--stage <stage>', "read the chain watermark from a deployed stage's state (AWS credentials from the environment)")
    .option(
      '--from-block <n>',
      'first block chain coverage must start at (default: where the chain source starts, CHAIN_GENESIS_BLOCK or the V1/V2 exchange genesis)',
      block,
    )
    .option('--to-block <n>', 'last block chain coverage must reach (default the chain watermark from the state)', block)
    .option('--no-state', 'do not open the local state for the chain watermark')
    .option('--no-record', 'compare the mapping count with the last snapshot without recording one (read-only)')
    .option('--only <checks>', `comma-separated checks to run (${CHECK_NAMES.join(', ')})`, names)
    .addOption(
      new Option('--days <n>', 'complete days the daily-volume check looks back (0: all history)').argParser(count).default(DEFAULT_THRESHOLDS.dailyVolumeDays),
    )
    .addOption(new Option('--max-drop <percent>', 'largest day-over-day fall in fills').argParser(percent).default(DEFAULT_THRESHOLDS.maxDailyDrop * 100))
    .addOption(
      new Option('--max-unmapped <percent>', 'largest share of fills without a mapped token')
        .argParser(percent)
        .default(DEFAULT_THRESHOLDS.maxUnmappedShare * 100),
    )
    .addOption(
      new Option('--recent-days <n>', "the unmapped check's recent window, in days before the newest fill")
        .argParser(count)
        .default(DEFAULT_THRESHOLDS.recentDays),
    )
    .addOption(
      new Option('--max-seam-gap <seconds>', "longest allowed time between V1's last fill and V2's first")
        .argParser(count)
        .default(DEFAULT_THRESHOLDS.maxSeamGapSeconds),
    )
    .addOption(
      new Option('--adapter-transactions <n>', 'transactions of activity that make an address which never traded look like a collateral adapter')
        .argParser(count)
        .default(DEFAULT_THRESHOLDS.minAdapterTransactions),
    )
    .action(reportFailures(commandFailed('check'), main));

/** The chain watermark: by hand, from a deployed stage, from the local state, or unknown. */
interface ChainState {
  watermark: bigint | null;
  /** Where the watermark came from, as the report names it. */
  from: string;
  /** Where `sync --since` started the chain, if it did. */
  loadedFrom?: ChainRange['loadedFrom'];
}

/** The chain's watermark, and where a bounded first sync started it, as the state records them. */
async function chainStateOf(state: StateStore, from: string): Promise<ChainState> {
  const [wm, start] = await Promise.all([state.getWatermarks().then((w) => w.chain?.value), state.getHistoryStarts().then((h) => h.chain)]);
  return { watermark: wm ? BigInt(wm) : null, from, ...(start ? { loadedFrom: { block: BigInt(start.watermark) + 1n, since: start.since } } : {}) };
}

async function chainWatermark(flags: CheckFlags): Promise<ChainState> {
  if (flags.toBlock !== undefined) return { watermark: flags.toBlock, from: '--to-block' };
  if (flags.stage) return chainStateOf((await stageTarget(flags.stage)).state, `stage ${flags.stage}`);
  if (!flags.state) return { watermark: null, from: 'unknown (--no-state)' };
  try {
    const local = await openLocalOps(flags.simulated);
    try {
      return await chainStateOf(local.target.state, local.target.describe);
    } finally {
      await local.aws.stop();
    }
  } catch (err) {
    console.error(`check: could not read the local state (${errorText(err)}); chain coverage runs to the highest block read`);
    return { watermark: null, from: 'unknown' };
  }
}

async function main(flags: CheckFlags): Promise<void> {
  // genesisFromSettings reads only these three; the other fields of its settings type do not matter here.
  const chain = readSettings(['CHAIN_GENESIS_BLOCK', 'CHAIN_V1_FILLS', 'CHAIN_EXCHANGES', 'CHAIN_ADAPTERS']);
  const genesis =
    flags.fromBlock ??
    genesisFromSettings({ ...chain, POLYGON_RPC_URL: '', CHAIN_CONFIRMATIONS: 0, CHAIN_USE_FINALIZED: true, SOURCE_TIMEOUT_MS: 0, SOURCE_MAX_RETRIES: 0 });
  const { watermark, from, loadedFrom } = await chainWatermark(flags);
  const warehouse = localWarehouse(localDataDir(flags.simulated));
  try {
    if (!(await databaseExists(warehouse))) {
      console.error(
        `check: there is no data yet in ${warehouse.describe}: nothing has been synced here\n${getSomeData()
          .map((s) => `  next: ${s}`)
          .join('\n')}`,
      );
      process.exitCode = 1;
      return;
    }
    const report = await runChecks(warehouse, {
      // An explicit --from-block is the range asked for, whatever `sync --since` did.
      chain: { genesis, watermark, ...(flags.fromBlock === undefined ? { loadedFrom } : {}) },
      record: flags.record ? 'check' : null,
      // A deployed stage reads the chain with the adapters its configuration names, whatever this shell sets.
      adapters: flags.stage ? stageChainAdapters(flags.stage) : chain.CHAIN_ADAPTERS,
      exchanges: flags.stage ? [] : chain.CHAIN_EXCHANGES,
      only: flags.only,
      thresholds: {
        dailyVolumeDays: flags.days,
        maxDailyDrop: flags.maxDrop / 100,
        maxUnmappedShare: flags.maxUnmapped / 100,
        recentDays: flags.recentDays,
        maxSeamGapSeconds: flags.maxSeamGap,
        minAdapterTransactions: flags.adapterTransactions,
      },
    });
    if (flags.json) console.log(JSON.stringify(report, null, 2));
    else console.log(`${warehouse.describe}; chain genesis ${genesis}, watermark ${watermark ?? 'unknown'} (${from})\n${formatReport(report)}`);
    if (!report.ok) process.exitCode = 2;
  } finally {
    await warehouse.client.close();
  }
}
