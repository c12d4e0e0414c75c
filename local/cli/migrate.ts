import { Command } from 'commander';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { localDataDir, localWarehouse } from './warehouse.ts';
import { commandFailed, reportFailures } from './failures.ts';

export const migrateCommand = (): Command =>
  new Command('migrate')
    .description('Apply the ClickHouse schema migrations (safe to run again)')
    .option('--simulated', 'migrate the database of `npm run sync -- --simulated`')
    .action(
      reportFailures(commandFailed('migrate'), async (opts: { simulated?: boolean }) => {
        const warehouse = localWarehouse(localDataDir(opts.simulated));
        try {
          const { from, to } = await migrate(warehouse.client, warehouse.database);
          console.log(
            from === to ? `${warehouse.describe}: schema is current (version ${to})` : `${warehouse.describe}: migrated from version ${from} to ${to}`,
          );
        } finally {
          await warehouse.client.close();
        }
      }),
    );
