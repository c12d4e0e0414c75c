import { Command } from 'commander';
import { ConfigError, readSettings, SOURCE_SETTINGS, type SourceSettings } from '#shared/config.ts';
import { runDoctor } from '#shared/ops/doctor/run.ts';
import { formatDoctor } from '#shared/ops/doctor/format.ts';
import type { DoctorReport } from '#shared/ops/doctor/types.ts';
import type { WarehouseProbeInput } from '#shared/ops/doctor/warehouse.ts';
import { localDataDir, localWarehouse } from './warehouse.ts';
import { startSimulatedWorld } from './simulated.ts';
import { CLI_NUMBERS } from './numbers.ts';
import { commandFailed, reportFailures } from './failures.ts';

/** The simulated world runs on Hardhat EDR, whose chain id is Hardhat's default, not Polygon's. */
export const SIMULATED_CHAIN_ID = 31337;

export interface DoctorFlags {
  simulated?: boolean;
  markets: number;
  fills: number;
  chainFills?: number;
  subgraph?: boolean;
  seed: number;
  json?: boolean;
  warehouse: boolean;
}

/** Smaller than sync's simulated world (40 markets, 30,000 fills): no check depends on its size, and it starts in seconds. */
export const DOCTOR_DEFAULTS: DoctorFlags = { markets: 12, fills: 3_000, seed: 1, warehouse: true };

export const doctorCommand = (): Command =>
  new Command('doctor')
    .description(
      'Check, before a long run, every source the sync would read (reachability, latency, subgraph head and indexing errors, ' +
        'the RPC provider’s chain, finalized head, eth_getLogs limits, blockTimestamp and rate) and the ClickHouse it would load; ' +
        'exits 1 when something would stop a sync',
    )
    .option('--simulated', 'check the simulated sources, started as `sync --simulated` starts them (offline; a smaller world by default)')
    .option('--markets <n>', 'simulated markets (both eras)', CLI_NUMBERS.markets, DOCTOR_DEFAULTS.markets)
    .option('--fills <n>', 'simulated fills (both eras)', CLI_NUMBERS.fills, DOCTOR_DEFAULTS.fills)
    .option('--chain-fills <n>', 'of those, fills after the 2026-04-28 migration (default: a third)', CLI_NUMBERS.chainFills)
    .option('--subgraph', 'with --simulated: take V1 history from the simulated subgraph instead of the chain')
    .option('--seed <n>', 'simulated dataset seed', CLI_NUMBERS.seed, DOCTOR_DEFAULTS.seed)
    .option('--no-warehouse', 'do not check ClickHouse')
    .option('--json', 'print the report as JSON')
    .action(reportFailures(commandFailed('doctor'), main));

async function main(flags: DoctorFlags): Promise<void> {
  const { report, text } = await doctor(flags, process.env, (line) => console.error(line));
  console.log(flags.json ? JSON.stringify(report, null, 2) : text);
  if (!report.ok) process.exitCode = 1;
}

/**
 * The whole command without the printing: starts the simulated world when
 * asked, reads the settings the sync would read from `env`, checks, and
 * closes everything it started.
 */
export async function doctor(
  flags: DoctorFlags,
  baseEnv: NodeJS.ProcessEnv,
  note: (line: string) => void = () => undefined,
): Promise<{ report: DoctorReport; text: string }> {
  const env: NodeJS.ProcessEnv = { ...baseEnv };
  const closers: (() => Promise<void>)[] = [];
  try {
    if (flags.simulated) {
      const world = await startSimulatedWorld(flags);
      closers.push(() => world.close());
      Object.assign(env, world.env);
      note(world.describe);
    }
    const dataDir = localDataDir(flags.simulated, env);
    const extra: Record<string, string> = { 'data dir': dataDir };
    let warehouse: WarehouseProbeInput | undefined;
    let warehouseError: string | undefined;
    if (flags.warehouse) {
      try {
        const w = localWarehouse(dataDir, env);
        closers.push(() => w.client.close());
        warehouse = { client: w.client, database: w.database, describe: w.describe, timeoutMs: 15_000 };
        extra.warehouse = w.describe;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        warehouseError = err.message;
      }
    }
    const report = await runDoctor({
      settings: sourceSettings(env),
      warehouse,
      expectedChainId: flags.simulated ? SIMULATED_CHAIN_ID : undefined,
      extraSettings: extra,
    });
    if (warehouseError) {
      report.checks.push({ name: 'clickhouse: settings', status: 'fail', detail: warehouseError });
      report.ok = false;
    }
    return { report, text: formatDoctor(report) };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

function sourceSettings(env: NodeJS.ProcessEnv): SourceSettings | { error: string } {
  try {
    return readSettings(SOURCE_SETTINGS, env);
  } catch (err) {
    if (err instanceof ConfigError) return { error: err.message };
    throw err;
  }
}
