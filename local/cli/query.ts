import { Command } from 'commander';
import { redactUrls } from '#shared/telemetry/redact.ts';
import { localDataDir, localWarehouse } from './warehouse.ts';
import { commandFailed, reportFailures } from './failures.ts';

/** Users of the embedded engine have no clickhouse-client: this is theirs. */
export const queryCommand = (): Command =>
  new Command('query')
    .description("Run one SQL statement against the sync's ClickHouse (embedded by default, CLICKHOUSE_URL for a server)")
    .argument('<sql>', 'the statement, e.g. "SELECT count() FROM polymarket.fills FINAL"')
    .option('--format <format>', 'ClickHouse output format', 'PrettyCompactMonoBlock')
    .option('--simulated', 'query the database of `npm run sync -- --simulated`')
    .action(
      // The engine's whole message: it says what is wrong with the statement.
      reportFailures(
        commandFailed('query', (err) => redactUrls(err instanceof Error ? err.message : String(err))),
        async (sql: string, opts: { format: string; simulated?: boolean }) => {
          const warehouse = localWarehouse(localDataDir(opts.simulated));
          try {
            const result = await warehouse.client.query({ query: sql, format: opts.format as 'JSONEachRow' });
            process.stdout.write(await result.text());
          } finally {
            await warehouse.client.close();
          }
        },
      ),
    );
