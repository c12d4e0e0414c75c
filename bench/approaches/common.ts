import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { countingClient } from '#bench/lib/instrument.ts';
import type { ApproachRequest, ApproachResult } from '#bench/lib/types.ts';
import type { RequestCounter } from '#bench/lib/http.ts';

/** A fresh chDB database (the project's schema) behind a client that counts inserts. */
export async function freshWarehouse(
  dir: string,
  database: string,
): Promise<{ client: ClickHouseClient; raw: ClickHouseClient; database: string; counts: { inserts: number } }> {
  mkdirSync(dir, { recursive: true });
  const raw = embeddedClient(join(dir, 'chdb'));
  await raw.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await migrate(raw, database);
  const counts = { inserts: 0 };
  return { client: countingClient(raw, counts), raw, database, counts };
}

export async function distinctFills(client: ClickHouseClient, database: string): Promise<number> {
  const res = await client.query({ query: `SELECT count() AS n FROM ${database}.fills FINAL`, format: 'JSONEachRow' });
  const [row] = (await res.json()) as { n: string }[];
  return Number(row?.n ?? 0);
}

/** How a script-style approach ended: the fills ClickHouse holds against what the dataset has, with the client's own counts. */
export async function scriptResult(
  wh: Awaited<ReturnType<typeof freshWarehouse>>,
  run: { kind: ApproachRequest['kind']; expectedFills: number; wallMs: number; fillsLoaded: number; client: RequestCounter; extra: ApproachResult['extra'] },
): Promise<ApproachResult> {
  const inWarehouse = await distinctFills(wh.raw, wh.database);
  await wh.raw.close();
  return {
    kind: run.kind,
    ok: inWarehouse === run.expectedFills,
    reason: inWarehouse === run.expectedFills ? undefined : `${run.expectedFills - inWarehouse} fills missing`,
    wallMs: run.wallMs,
    fillsLoaded: run.fillsLoaded,
    fillsInWarehouse: inWarehouse,
    clickhouseInserts: wh.counts.inserts,
    clientRequests: run.client.requests,
    clientThrottled: run.client.throttled,
    extra: run.extra,
  };
}
