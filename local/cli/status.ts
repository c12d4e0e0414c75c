import { Command } from 'commander';
import { readSettings, SOURCE_SETTINGS, CLICKHOUSE_SETTINGS } from '#shared/config.ts';
import { buildSources } from '#shared/sources/registry.ts';
import { serverClient } from '#adapters/clickhouse/client.ts';
import { collectStatus, formatStatus, needsAttention } from '#shared/ops/status.ts';
import { ClickHouseWarehouseStats } from '#adapters/clickhouse/warehouse-stats.ts';
import { PlannedSourceHeads } from '#shared/ops/source-heads.ts';
import type { OpsTarget } from '#adapters/aws/ops-target.ts';
import { stageTarget } from './stage.ts';
import type { ClickHouseClient } from '@clickhouse/client';
import { localWarehouse } from './warehouse.ts';
import { openLocalOps } from './local-ops.ts';
import { commandFailed, reportFailures } from './failures.ts';
import { neverRun, neverRunNote } from './empty-state.ts';

interface StatusFlags {
  simulated?: boolean;
  stage?: string;
  json?: boolean;
  heads: boolean;
  warehouse: boolean;
  check?: boolean;
}

export const statusCommand = (): Command =>
  new Command('status')
    .description('Where the sync stands: watermarks and lag per source, last load, the open run, DLQ depth, rejects of the last run')
    .option('--simulated', 'the state of `npm run sync -- --simulated` (./.data/simulated)')
    .option('--stage <stage>', 'a deployed stage (AWS credentials from the environment) instead of the local state')
    .option('--json', 'print JSON')
    .option('--no-heads', 'do not ask the sources for their head (offline)')
    .option('--no-warehouse', 'do not query ClickHouse for rejects')
    .option('--check', 'exit with status 2 when something needs attention (dead letters, rejects)')
    .action(reportFailures(commandFailed('status'), main));

async function main(flags: StatusFlags): Promise<void> {
  const closers: (() => Promise<void>)[] = [];
  try {
    let target: OpsTarget;
    let warehouse: { client: ClickHouseClient; database: string } | undefined;
    if (flags.stage) {
      // A wrong CLICKHOUSE_URL (plain http to another host) is refused before AWS is asked anything.
      const ch = readSettings(CLICKHOUSE_SETTINGS);
      target = await stageTarget(flags.stage);
      if (flags.warehouse && ch.CLICKHOUSE_URL) {
        warehouse = {
          client: serverClient({ url: ch.CLICKHOUSE_URL, username: ch.CLICKHOUSE_USER, password: ch.CLICKHOUSE_PASSWORD }),
          database: ch.CLICKHOUSE_DATABASE,
        };
      }
    } else {
      const local = await openLocalOps(flags.simulated);
      closers.push(() => local.aws.stop());
      target = local.target;
      if (flags.warehouse) warehouse = localWarehouse(local.dataDir);
    }
    if (warehouse) closers.push(() => warehouse.client.close());

    const settings = readSettings(SOURCE_SETTINGS);
    // The simulated sources live only while `sync --simulated` runs: no heads to ask then, unless a URL is set.
    const headsNotAsked = !flags.heads
      ? '--no-heads'
      : flags.simulated && !process.env.POLYMARKET_SUBGRAPH_URL
        ? 'the simulated sources run only during `sync --simulated`'
        : undefined;
    const status = await collectStatus({
      state: target.state,
      sources: settings.SYNC_SOURCES,
      ...(headsNotAsked
        ? { headsNotAsked }
        : { heads: new PlannedSourceHeads(buildSources({ ...settings, SOURCE_MAX_RETRIES: 1, SOURCE_TIMEOUT_MS: 15_000 })) }),
      deadLetters: target.deadLetters,
      warehouse: warehouse ? new ClickHouseWarehouseStats(warehouse.client, warehouse.database) : undefined,
    });
    if (flags.json) console.log(JSON.stringify(status, null, 2));
    else if (neverRun(status)) console.log(`${target.describe}\n${neverRunNote()}`);
    else console.log(`${target.describe}\n${formatStatus(status)}`);
    if (flags.check && needsAttention(status)) process.exitCode = 2;
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}
