import { PassThrough, Readable } from 'node:stream';
import { once } from 'node:events';
import type { ClickHouseClient } from '@clickhouse/client';
import { readStagedLines } from '../staging/codec.ts';
import { STAGED_TABLES, type StagedTable } from '../model/staged.ts';
import { assertIdentifier } from './schema.ts';

export interface StagedLoadResult {
  rows: Record<StagedTable, number>;
  /** Newest fill timestamp (unix s) in the object, for the freshness heartbeat. */
  newestFillTimestamp: number | null;
}

const TIMESTAMP_FIELD = /"timestamp":(\d+)/;

/**
 * Fills go in as inserts of at most this many rows, each with its own
 * deduplication token: memory stays flat however large the object (the
 * embedded engine buffers one insert whole), and a retry repeats each part's token.
 */
export const MAX_ROWS_PER_INSERT = 100_000;

/**
 * Inserts one staged object. Fill rows stream straight into ClickHouse, so a
 * million-row object never sits in memory; the other tables are small and go
 * in after. Each table's insert carries a deduplication token derived from
 * the object's key and ETag, so loading the same object again adds nothing.
 */
export async function loadStagedObject(
  client: ClickHouseClient,
  database: string,
  object: { key: string; etag: string; body: Readable },
  maxRowsPerInsert = MAX_ROWS_PER_INSERT,
): Promise<StagedLoadResult> {
  const db = assertIdentifier(database);
  const lineage = `,"staged_object":${JSON.stringify(object.key)}}\n`;
  // Fills dedupe on key + ETag (a retried load of this object). Market lists are refreshed
  // whole every run under new keys, so they dedupe on content alone: an unchanged page adds no rows.
  const token = (table: StagedTable) =>
    table === 'markets' || table === 'market_tokens' ? `content:${object.etag}:${table}` : `${object.key}:${object.etag}:${table}`;
  const rows = Object.fromEntries(STAGED_TABLES.map((t) => [t, 0])) as Record<StagedTable, number>;
  const small: Partial<Record<StagedTable, string[]>> = {};
  let newest: number | null = null;

  let fills: PassThrough | null = null;
  let fillsInsert: Promise<unknown> | null = null;
  let part = 0;
  let rowsInPart = 0;
  try {
    for await (const line of readStagedLines(object.body)) {
      rows[line.table]++;
      const withLineage = line.rowJson.slice(0, -1) + lineage;
      if (line.table !== 'fills') {
        (small[line.table] ??= []).push(withLineage);
        continue;
      }
      const ts = Number(TIMESTAMP_FIELD.exec(line.rowJson)?.[1] ?? NaN);
      if (Number.isFinite(ts) && (newest === null || ts > newest)) newest = ts;
      if (fills && fillsInsert && rowsInPart >= maxRowsPerInsert) {
        fills.end();
        await fillsInsert;
        fills = null;
        part++;
        rowsInPart = 0;
      }
      if (!fills) {
        fills = new PassThrough();
        fillsInsert = insertRaw(client, `${db}.fills`, fills, `${token('fills')}:${part}`);
        // Surface an early insert failure instead of writing into a dead stream.
        fillsInsert.catch(() => fills?.destroy());
      }
      rowsInPart++;
      if (!fills.write(withLineage)) await Promise.race([once(fills, 'drain'), fillsInsert]);
    }
  } catch (err) {
    fills?.destroy(err as Error);
    await fillsInsert?.catch(() => undefined);
    throw err;
  }
  if (fills && fillsInsert) {
    fills.end();
    await fillsInsert;
  }
  for (const table of ['markets', 'market_tokens', 'rejects'] as const) {
    const lines = small[table];
    if (!lines?.length) continue;
    await insertRaw(client, `${db}.${table}`, Readable.from([lines.join('')]), token(table));
  }
  return { rows, newestFillTimestamp: newest };
}

/** Sends JSONEachRow text as it is: the staged lines are already in the table's shape. */
async function insertRaw(client: ClickHouseClient, table: string, body: Readable, dedupToken: string): Promise<void> {
  const res = await client.exec({
    query: `INSERT INTO ${table} FORMAT JSONEachRow`,
    values: body,
    clickhouse_settings: { insert_deduplication_token: dedupToken, insert_deduplicate: 1 },
  });
  // The response body must be consumed for the socket to return to the pool.
  for await (const _ of res.stream) void _;
}
