import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { encodeStaged } from '#shared/staging/codec.ts';
import { encodeStagedV2 } from '#shared/staging/format-v2.ts';
import { sampleFill } from '#test/support/fills.ts';
import { sampleActivity } from '#test/support/activity.ts';

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
    const parts = await (
      await client.query({ query: `SELECT count() AS n FROM system.parts WHERE database = '${db}' AND table = 'fills' AND active`, format: 'JSONEachRow' })
    ).json();
    expect(Number((parts as [{ n: string }])[0].n)).toBeGreaterThanOrEqual(3);
  });

  it('with skipLoadedFills adds only the fills not loaded yet, also when the load is retried', async () => {
    const rows = (from: number, to: number) =>
      encodeStaged(Array.from({ length: to - from }, (_, i) => ({ table: 'fills' as const, row: fill(10_000 + from + i) })));
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

  it('with skipLoadedFills adds only the activity not loaded yet, also when the load is retried', async () => {
    const event = (i: number) => sampleActivity(i);
    const events = (from: number, to: number) =>
      encodeStaged(Array.from({ length: to - from }, (_, i) => ({ table: 'activity' as const, row: event(from + i) })));
    const activity = async () =>
      (
        (await (await client.query({ query: `SELECT count() AS n, uniqExact(event_id) AS ids FROM ${db}.activity`, format: 'JSONEachRow' })).json()) as [
          { n: string; ids: string },
        ]
      ).map((r) => ({ rows: Number(r.n), events: Number(r.ids) }))[0];
    await loadStagedObject(client, db, { key: 'staged/events-first', etag: 'a', body: Readable.from([events(0, 1_500)]) });
    expect(await activity()).toEqual({ rows: 1_500, events: 1_500 });
    // A replayed window: 1,100 of its 1,500 events are loaded already (more than one lookup's worth).
    const replayed = () => ({ key: 'staged/events-replayed', etag: 'b', body: Readable.from([events(400, 1_900)]) });
    const first = await loadStagedObject(client, db, replayed(), { skipLoadedFills: true });
    expect(first.rows.activity).toBe(1_500);
    expect(await activity()).toEqual({ rows: 1_900, events: 1_900 });
    await loadStagedObject(client, db, replayed(), { skipLoadedFills: true });
    expect(await activity()).toEqual({ rows: 1_900, events: 1_900 });
  });

  it('loads a re-staged object that a re-fetch cut further (same key, new ETag): every fill of both, each once under FINAL', async () => {
    // A chain fetcher that crashed after staging and re-fetched from the same cursor with other learned spans.
    const rows = (from: number, to: number) =>
      encodeStaged(Array.from({ length: to - from }, (_, i) => ({ table: 'fills' as const, row: fill(20_000 + from + i) })));
    const distinct = async () =>
      Number(
        (
          (await (
            await client.query({
              query: `SELECT count() AS n FROM ${db}.fills FINAL WHERE toUnixTimestamp(timestamp) BETWEEN 1700020000 AND 1700020999`,
              format: 'JSONEachRow',
            })
          ).json()) as [{ n: string }]
        )[0].n,
      );
    await loadStagedObject(client, db, { key: 'staged/recut', etag: 'first-cut', body: Readable.from([rows(0, 600)]) });
    await loadStagedObject(client, db, { key: 'staged/recut', etag: 'second-cut', body: Readable.from([rows(0, 1_000)]) });
    expect(await distinct()).toBe(1_000);
  });

  it('leaves a fill one object holds twice to the merge: one row under FINAL and after the merge, and a retried load adds nothing', async () => {
    // Fill inserts run with optimize_on_insert = 0; sources never stage a fill twice, but if one did, nothing is lost or counted twice.
    const twice = 'staged_twice';
    await migrate(client, twice);
    const n = async (query: string) => Number(((await (await client.query({ query, format: 'JSONEachRow' })).json()) as [{ n: string }])[0].n);
    for (const [i, encode] of [encodeStaged, encodeStagedV2].entries()) {
      const rows = [fill(70_000 + 10 * i), fill(70_001 + 10 * i), fill(70_000 + 10 * i)].map((row) => ({ table: 'fills' as const, row }));
      const object = () => ({ key: `staged/twice-${i}`, etag: 't', body: Readable.from([encode(rows)]) });
      expect((await loadStagedObject(client, twice, object())).rows.fills).toBe(3);
      await loadStagedObject(client, twice, object());
      expect(await n(`SELECT count() AS n FROM ${twice}.fills FINAL WHERE staged_object = 'staged/twice-${i}'`)).toBe(2);
      expect(await n(`SELECT count() AS n FROM ${twice}.fills WHERE staged_object = 'staged/twice-${i}'`)).toBeLessThanOrEqual(3);
    }
    await client.command({ query: `OPTIMIZE TABLE ${twice}.fills FINAL` });
    expect(await n(`SELECT count() AS n FROM ${twice}.fills`)).toBe(4);
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
    await client.insert({
      table: `${db}.fills`,
      values: rowsOf(0),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: 'only-this-insert' },
    });
    await client.insert({ table: `${db}.fills`, values: rowsOf(2), format: 'JSONEachRow' });
    expect(await count()).toBe(before + 4);
  });
});

describe('switching V1 history from the subgraph to the chain', () => {
  let client: ClickHouseClient;
  const db = 'switch_source';
  const V1_EXCHANGE = '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e';

  beforeAll(async () => {
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-switch-')));
    await migrate(client, db);
  });
  afterAll(() => client?.close());

  const totals = async () =>
    (
      (await (
        await client.query({
          query: `SELECT countIf(source = 'subgraph') AS subgraph, countIf(source = 'chain') AS chain, count() AS all,
                       (SELECT count() FROM ${db}.fills FINAL) AS final, toString(sum(maker_amount_filled)) AS maker FROM ${db}.fills`,
          format: 'JSONEachRow',
        })
      ).json()) as [{ subgraph: string; chain: string; all: string; final: string; maker: string }]
    )[0];

  /** Deletes the fills table has run (a lightweight DELETE is a mutation of every part it matches). */
  const fillMutations = async () =>
    Number(
      (
        (await (
          await client.query({ query: `SELECT count() AS n FROM system.mutations WHERE database = '${db}' AND table = 'fills'`, format: 'JSONEachRow' })
        ).json()) as [{ n: string }]
      )[0].n,
    );

  /** The same fill as the chain gives it: its log index in the id, the emitting exchange, its block. */
  const fromChain = (i: number, logIndex: number) => {
    const f = sampleFill(i);
    return {
      ...f,
      fill_id: `${f.transaction_hash}_${logIndex}`,
      source: 'chain' as const,
      exchange: V1_EXCHANGE,
      block_number: 40_000_000 + i,
      log_index: logIndex,
    };
  };

  it('drops the subgraph rows of every transaction the chain delivered, so no fill is counted twice, and a re-load changes nothing', async () => {
    // 300 fills first read from the subgraph; the chain then delivers the first 200 of them (and another 50).
    const subgraph = encodeStaged(Array.from({ length: 300 }, (_, i) => ({ table: 'fills' as const, row: sampleFill(i) })));
    await loadStagedObject(client, db, { key: 'staged/subgraph', etag: 's', body: Readable.from([subgraph]) });
    expect(Number((await totals()).subgraph)).toBe(300);

    const chainRows = [...Array.from({ length: 200 }, (_, i) => fromChain(i, 3)), ...Array.from({ length: 50 }, (_, i) => fromChain(1_000 + i, 1))];
    const chain = () => ({ key: 'staged/chain', etag: 'c', body: Readable.from([encodeStaged(chainRows.map((row) => ({ table: 'fills' as const, row })))]) });
    const mutationsBefore = await fillMutations();
    const result = await loadStagedObject(client, db, chain());
    expect(result.supersededTransactions).toBe(250);
    expect(await fillMutations()).toBe(mutationsBefore + 1);
    const after = await totals();
    expect(Number(after.subgraph)).toBe(100);
    expect(Number(after.chain)).toBe(250);
    expect(Number(after.all)).toBe(350);
    expect(Number(after.final)).toBe(350);
    // Loaded again, it finds no subgraph row of its transactions left and deletes nothing.
    await loadStagedObject(client, db, chain());
    expect(await totals()).toEqual(after);
    expect(await fillMutations()).toBe(mutationsBefore + 1);
  });

  it('runs no delete when no subgraph row shares a transaction with the chain V1 fills it loads', async () => {
    const mutationsBefore = await fillMutations();
    const before = await totals();
    const rows = Array.from({ length: 20 }, (_, i) => fromChain(5_000 + i, 2));
    const result = await loadStagedObject(client, db, {
      key: 'staged/chain-new',
      etag: 'n',
      body: Readable.from([encodeStaged(rows.map((row) => ({ table: 'fills' as const, row })))]),
    });
    expect(result.supersededTransactions).toBe(20);
    expect(await fillMutations()).toBe(mutationsBefore);
    const after = await totals();
    expect(Number(after.chain)).toBe(Number(before.chain) + 20);
    expect(Number(after.subgraph)).toBe(Number(before.subgraph));
  });

  it('leaves subgraph rows alone when chain fills come from the V2 exchanges', async () => {
    const before = await totals();
    const v2 = { ...fromChain(250, 7), exchange: '0xe111180000d2663c0091e4f400237545b87b996b' };
    const result = await loadStagedObject(client, db, { key: 'staged/v2', etag: 'v', body: Readable.from([encodeStaged([{ table: 'fills', row: v2 }])]) });
    expect(result.supersededTransactions).toBe(0);
    expect(Number((await totals()).subgraph)).toBe(Number(before.subgraph));
  });
});
