/** `soak`: the chaos soak's command line (flags, the printed report, the exit code). */
import { Command } from 'commander';
import { logLevelOption, type LogLevel } from '#local/cli/log-level.ts';
import { CLI_NUMBERS } from '#local/cli/numbers.ts';
import { formatSoak } from './report.ts';
import { runSoak, SOAK_DEFAULTS } from './run.ts';

interface SoakFlags {
  fills: number;
  markets: number;
  seed: number;
  sourceFaults: number;
  chainFaults: number;
  rpcMaxResults: number;
  sqsFaults: number;
  s3Faults: number;
  dynamoFaults: number;
  outage: number;
  concurrency: number;
  json?: boolean;
  logLevel: LogLevel;
}

async function main(f: SoakFlags): Promise<void> {
  const report = await runSoak({
    ...SOAK_DEFAULTS,
    fills: f.fills,
    markets: f.markets,
    seed: f.seed,
    sourceFaultRate: f.sourceFaults,
    chainFaultRate: f.chainFaults,
    rpcMaxResults: f.rpcMaxResults,
    sqsFaultRate: f.sqsFaults,
    s3FaultRate: f.s3Faults,
    dynamoFaultRate: f.dynamoFaults,
    clickhouseOutageMs: f.outage,
    fetcherConcurrency: f.concurrency,
    logLevel: f.logLevel,
    log: (line) => console.error(line),
  });
  console.log(formatSoak(report));
  if (f.json) console.log(JSON.stringify(report, null, 2));
  if (!report.ok) process.exitCode = 1;
}

export const soakCommand = (): Command =>
  new Command('soak')
    .description(
      'Chaos soak: a full sync of a simulated chain, subgraph and market lists through the local runner under source, JSON-RPC, S3, DynamoDB, SQS and ClickHouse faults; checks fills, activity and positions',
    )
    .option('--fills <n>', 'simulated fills (a third on the chain, the rest from the subgraph)', CLI_NUMBERS.fills, SOAK_DEFAULTS.fills)
    .option('--markets <n>', 'simulated markets', CLI_NUMBERS.markets, SOAK_DEFAULTS.markets)
    .option('--seed <n>', 'world and fault seed', CLI_NUMBERS.seed, SOAK_DEFAULTS.seed)
    .option('--source-faults <share>', 'share of subgraph and market-list requests per fault kind', CLI_NUMBERS.faultShare, SOAK_DEFAULTS.sourceFaultRate)
    .option('--chain-faults <share>', 'share of JSON-RPC requests failed per family (429s, 5xx)', CLI_NUMBERS.faultShare, SOAK_DEFAULTS.chainFaultRate)
    .option('--rpc-max-results <n>', "the JSON-RPC provider's eth_getLogs result cap", CLI_NUMBERS.fills, SOAK_DEFAULTS.rpcMaxResults)
    .option('--sqs-faults <share>', 'share of SQS calls failed, and of batch calls losing an entry', CLI_NUMBERS.faultShare, SOAK_DEFAULTS.sqsFaultRate)
    .option('--s3-faults <share>', 'share of staged-object puts/gets refused', CLI_NUMBERS.faultShare, SOAK_DEFAULTS.s3FaultRate)
    .option('--dynamo-faults <share>', 'share of DynamoDB calls throttled', CLI_NUMBERS.faultShare, SOAK_DEFAULTS.dynamoFaultRate)
    .option('--outage <ms>', 'ClickHouse unreachable for this long, a third of the way into the load', CLI_NUMBERS.outageMs, SOAK_DEFAULTS.clickhouseOutageMs)
    .option('--concurrency <n>', 'fetchers at once', CLI_NUMBERS.concurrency, SOAK_DEFAULTS.fetcherConcurrency)
    .option('--json', 'print the report as JSON too')
    // Quiet by default: the soak's faults would otherwise flood the terminal with the handlers' retry warnings.
    .addOption(logLevelOption('CRITICAL'))
    .action(main);

/** Runs the soak command on `argv` (default the process's), reporting a crash on stderr with exit code 1. */
export async function runSoakCli(argv?: readonly string[]): Promise<void> {
  try {
    await soakCommand().parseAsync(argv);
  } catch (err) {
    console.error(`soak failed: ${(err as Error).stack ?? (err as Error).message}`);
    process.exitCode = 1;
  }
}
