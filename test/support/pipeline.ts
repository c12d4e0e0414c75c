import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';
import { runCycle, type CycleOptions, type CycleResult } from '#local/runner.ts';

export interface TestPipeline {
  client: ClickHouseClient;
  database: string;
  aws: LocalAws;
  cycle(extra?: Partial<CycleOptions>): Promise<CycleResult>;
  rows<T = Record<string, string>>(sql: string): Promise<T[]>;
  one<T = Record<string, string>>(sql: string): Promise<T>;
  close(): Promise<void>;
}

/**
 * Real parts only: chDB on disk, fauxqs and dynalite in-process. One per test
 * file (chDB binds one data directory per process).
 */
export async function startTestPipeline(env: Record<string, string>, database = 'polymarket'): Promise<TestPipeline> {
  const dir = mkdtempSync(join(tmpdir(), 'pmsync-'));
  const client = embeddedClient(dir);
  const aws = await startLocalAws({ dataDir: join(dir, 'aws') });
  const rows = async <T>(sql: string) => (await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[];
  return {
    client,
    database,
    aws,
    cycle: (extra) =>
      // Handler logs below ERROR would drown the test report.
      runCycle({ warehouse: { client, database }, aws, logLevel: 'ERROR', ...extra, env: { ...env, ...(extra?.env ?? {}) } }),
    rows,
    one: async <T>(sql: string) => (await rows<T>(sql))[0]!,
    async close() {
      await aws.stop();
      await client.close();
    },
  };
}
