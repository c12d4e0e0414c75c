/**
 * The two ways the loader reaches ClickHouse: the embedded connection the
 * local runner uses, and `serverClient` (what the Lambda uses) over HTTP to
 * the same engine behind the test front. Fault tests run on both, so a
 * dedup token, a retry or a part that behaves differently over HTTP shows.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { serverClient } from '#adapters/clickhouse/client.ts';
import { startClickHouseHttpFront, type ClickHouseHttpFront } from '#test/support/clickhouse-http-front.ts';

export type WarehousePath = 'embedded' | 'http';

export interface PathClient {
  client: ClickHouseClient;
  /** The front the client talks to (`http` only): what went over the wire. */
  front: ClickHouseHttpFront | null;
  close(): Promise<void>;
}

/** The loader's client on `path`; `embedded` is the file's one embedded client (chDB binds one data directory per process). */
export async function clientOnPath(path: WarehousePath, embedded: ClickHouseClient): Promise<PathClient> {
  if (path === 'embedded') return { client: embedded, front: null, close: async () => undefined };
  const credentials = { username: 'loader', password: 'front-password' };
  const front = await startClickHouseHttpFront({ client: embedded, user: credentials.username, password: credentials.password });
  const client = serverClient({ url: front.url, ...credentials });
  return {
    client,
    front,
    async close() {
      await client.close();
      await front.close();
    },
  };
}

/** Inserts into `<database>.fills` the front answered, with the deduplication token each carried. */
export function fillInsertsOverHttp(front: ClickHouseHttpFront, database: string): Array<{ token: string | undefined; status: number }> {
  return front.requests
    .filter((r) => r.statement.startsWith(`INSERT INTO ${database}.fills FORMAT`) || r.statement.startsWith(`INSERT INTO ${database}.fills (`))
    .map((r) => ({ token: r.settings.insert_deduplication_token, status: r.status }));
}
