import { Command } from 'commander';
import { dataDirFrom, localWarehouse } from './warehouse.ts';

/** Users of the embedded engine have no clickhouse-client: this is theirs. */
const program = new Command('query')
  .description('Run one SQL statement against the sync\'s ClickHouse (embedded by default, CLICKHOUSE_URL for a server)')
  .argument('<sql>', 'the statement, e.g. "SELECT count() FROM polymarket.fills FINAL"')
  .option('--format <format>', 'ClickHouse output format', 'PrettyCompactMonoBlock')
  .option('--simulated', 'query the database of `npm run sync -- --simulated`')
  .action(async (sql: string, opts: { format: string; simulated?: boolean }) => {
    const warehouse = localWarehouse(dataDirFrom(process.env, opts.simulated ? './.data/simulated' : './.data'));
    try {
      const result = await warehouse.client.query({ query: sql, format: opts.format as 'JSONEachRow' });
      process.stdout.write(await result.text());
    } finally {
      await warehouse.client.close();
    }
  });

program.parseAsync().catch((err: Error) => {
  console.error(`query failed: ${err.message}`);
  process.exitCode = 1;
});
