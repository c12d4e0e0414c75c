import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { MIGRATIONS } from '#adapters/clickhouse/migrations.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { sampleFill } from '#test/support/fills.ts';

/** A warehouse as version 2 of the schema left it, with data in it. */
async function atVersion2(client: ClickHouseClient, db: string): Promise<void> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE ${db}.schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`,
  });
  for (const m of MIGRATIONS.filter((x) => x.version <= 2)) {
    for (const step of m.statements(db)) if (typeof step === 'string') await client.command({ query: step });
    await client.insert({ table: `${db}.schema_migrations`, values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
  }
  const fills = Array.from({ length: 50 }, (_, i) => ({ ...sampleFill(i), staged_object: 'old' }));
  // The fifth fill is the taker order's own leg: its taker is a V1 exchange.
  fills[4] = { ...fills[4]!, taker: '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e' };
  await client.insert({ table: `${db}.fills`, values: fills, format: 'JSONEachRow' });
  await client.insert({
    table: `${db}.market_tokens`,
    values: [
      { token_id: '7'.repeat(77), condition_id: `0x${'c'.repeat(64)}`, outcome_index: 0, outcome: 'Yes', staged_object: 'old' },
      { token_id: '8'.repeat(77), condition_id: `0x${'c'.repeat(64)}`, outcome_index: 1, outcome: 'No', staged_object: 'old' },
    ],
    format: 'JSONEachRow',
  });
}

describe('migrating a version-2 warehouse to the mapping, activity and positions schema', () => {
  let client: ClickHouseClient;
  beforeAll(() => {
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-migrate-')));
  });
  afterAll(() => client?.close());

  const one = async <T>(sql: string) => ((await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[])[0]!;

  it('keeps every fill and turns the CLOB mapping into claims that trades still joins, also when two processes migrate at once', async () => {
    const db = 'upgrade_v2';
    await atVersion2(client, db);
    await Promise.all([migrate(client, db), migrate(client, db)]);
    const fills = await one<{ n: string; final: string; distinct: string; takerLegs: string }>(
      `SELECT count() AS n, (SELECT count() FROM ${db}.fills FINAL) AS final, uniqExact(fill_id) AS distinct, countIf(is_taker_order) AS takerLegs FROM ${db}.fills`,
    );
    expect(fills).toEqual({ n: '50', final: '50', distinct: '50', takerLegs: '1' });
    const claims = await one<{ n: string; clob: string }>(`SELECT count() AS n, countIf(source = 'clob') AS clob FROM ${db}.token_claims FINAL`);
    expect(claims).toEqual({ n: '2', clob: '2' });
    const mapped = await one<{ mapped: string; outcome: string; sources: string[] }>(
      `SELECT countIf(is_mapped) AS mapped, any(outcome) AS outcome, any(mapping_sources) AS sources FROM ${db}.trades`,
    );
    expect(mapped).toEqual({ mapped: '50', outcome: 'Yes', sources: ['clob'] });
    const version = await one<{ v: number }>(`SELECT max(version) AS v FROM ${db}.schema_migrations`);
    expect(Number(version.v)).toBe(MIGRATIONS.at(-1)!.version);
  });
});
