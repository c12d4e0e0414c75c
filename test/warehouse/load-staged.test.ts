import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { migrate } from '#shared/warehouse/schema.ts';
import { loadStagedObject } from '#shared/warehouse/load-staged.ts';
import { encodeStaged } from '#shared/staging/codec.ts';
import { sampleFill } from '../support/fills.ts';

const fill = sampleFill;

describe('loading a staged object', () => {
  let client: ClickHouseClient;
  const db = 'staged_parts';

  beforeAll(async () => {
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-load-')));
    await migrate(client, db);
  });
  afterAll(() => client?.close());

  const count = async () =>
    Number(((await (await client.query({ query: `SELECT count() AS n FROM ${db}.fills`, format: 'JSONEachRow' })).json()) as [{ n: string }])[0].n);

  it('splits a large object into several inserts, and a retried load of it adds nothing', async () => {
    const body = encodeStaged(Array.from({ length: 2_500 }, (_, i) => ({ table: 'fills' as const, row: fill(i) })));
    const object = () => ({ key: 'staged/parts', etag: 'e1', body: Readable.from([body]) });
    const first = await loadStagedObject(client, db, object(), { maxRowsPerInsert: 1_000 });
    expect(first.rows.fills).toBe(2_500);
    expect(first.newestFillTimestamp).toBe(1_700_000_000 + 2_499);
    expect(await count()).toBe(2_500);
    await loadStagedObject(client, db, object(), { maxRowsPerInsert: 1_000 });
    expect(await count()).toBe(2_500);
    const parts = await (await client.query({ query: `SELECT count() AS n FROM system.parts WHERE database = '${db}' AND table = 'fills' AND active`, format: 'JSONEachRow' })).json();
    expect(Number((parts as [{ n: string }])[0].n)).toBeGreaterThanOrEqual(3);
  });

  it('with skipLoadedFills adds only the fills not loaded yet, also when the load is retried', async () => {
    const rows = (from: number, to: number) => encodeStaged(Array.from({ length: to - from }, (_, i) => ({ table: 'fills' as const, row: fill(10_000 + from + i) })));
    await loadStagedObject(client, db, { key: 'staged/first', etag: 'a', body: Readable.from([rows(0, 600)]) });
    const before = await count();
    const replayed = () => ({ key: 'staged/replayed', etag: 'b', body: Readable.from([rows(400, 1_000)]) });
    const first = await loadStagedObject(client, db, replayed(), { maxRowsPerInsert: 250, skipLoadedFills: true });
    expect(first.rows.fills).toBe(600);
    expect(first.fillsAlreadyLoaded).toBe(200);
    expect(await count()).toBe(before + 400);
    const retried = await loadStagedObject(client, db, replayed(), { maxRowsPerInsert: 250, skipLoadedFills: true });
    expect(retried.fillsAlreadyLoaded).toBe(600);
    expect(await count()).toBe(before + 400);
  });

  it('takes a streamed insert of nothing as a no-op on the embedded engine', async () => {
    const before = await count();
    const res = await client.exec({ query: `INSERT INTO ${db}.fills FORMAT JSONEachRow`, values: Readable.from([]) });
    for await (const _ of res.stream) void _;
    expect(await count()).toBe(before);
  });

  it("does not carry one insert's deduplication token over to the next insert on the embedded engine", async () => {
    const before = await count();
    const rowsOf = (from: number) => [sampleFill(50_000 + from), sampleFill(50_001 + from)].map((r) => ({ ...r, staged_object: 'token-test' }));
    await client.insert({ table: `${db}.fills`, values: rowsOf(0), format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'only-this-insert' } });
    await client.insert({ table: `${db}.fills`, values: rowsOf(2), format: 'JSONEachRow' });
    expect(await count()).toBe(before + 4);
  });
});
