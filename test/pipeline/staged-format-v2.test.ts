import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { serverClient } from '#adapters/clickhouse/client.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { encodeStaged, StagedFormatError } from '#shared/staging/codec.ts';
import { encodeStagedV2, StagedObjectBuilderV2 } from '#shared/staging/format-v2.ts';
import { UINT256_MAX, type FillRow } from '#shared/model/fill.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import { sampleFill } from '#test/support/fills.ts';
import { startClickHouseHttpFront, type ClickHouseHttpFront } from '#test/support/clickhouse-http-front.ts';

const V1_EXCHANGE = '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e';
const MAX = UINT256_MAX.toString();

/** Fills of every shape the loader must carry exactly: odd ids, the largest amounts, V1 chain rows, small prices. */
function fills(n: number): FillRow[] {
  return Array.from({ length: n }, (_, i) => {
    const f = sampleFill(i);
    switch (i % 6) {
      case 1:
        return { ...f, fill_id: `${f.fill_id}\ttab\\back\nline\u0001ctl é€`, price: 1e-7 };
      case 2:
        return { ...f, maker_asset_id: MAX, token_id: MAX, taker_asset_id: '1' + '0'.repeat(77), fee: '12' };
      case 3:
        return { ...f, fill_id: `${f.transaction_hash}_4`, source: 'chain' as const, exchange: V1_EXCHANGE, block_number: 30_000_000 + i, log_index: 4 };
      case 4:
        return { ...f, side: 'SELL' as const, price: 0.123456789 };
      default:
        return f;
    }
  });
}
const records = (rows: FillRow[]): StagedRecord[] => [
  ...rows.map((row) => ({ table: 'fills' as const, row })),
  { table: 'rejects', row: { source: 'subgraph', reason: 'bad amount', raw: '{"x":1}' } },
];

describe('staged format 2 (zstd, fills as TSV) against format 1 (gzip JSON lines)', () => {
  let client: ClickHouseClient;
  let front: ClickHouseHttpFront;
  let server: ClickHouseClient;
  let n = 0;
  const fresh = async (c: ClickHouseClient = client) => {
    const db = `fmt_${n++}`;
    await migrate(c, db);
    return db;
  };
  const rowsOf = async (db: string) => {
    const q = async (query: string) => (await (await client.query({ query, format: 'JSONEachRow' })).json()) as unknown[];
    return {
      fills: await q(`SELECT * EXCEPT ingested_at FROM ${db}.fills ORDER BY fill_id`),
      rejects: await q(`SELECT * EXCEPT rejected_at FROM ${db}.rejects ORDER BY raw`),
      count: await q(`SELECT count() AS n, (SELECT count() FROM ${db}.fills FINAL) AS final FROM ${db}.fills`),
    };
  };
  const body = (b: Buffer) => Readable.from([b]);

  beforeAll(async () => {
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-fmt2-')));
    front = await startClickHouseHttpFront({ client });
    server = serverClient({ url: front.url, username: 'default', password: '' });
  });
  afterAll(async () => {
    await server?.close();
    await front?.close();
    await client?.close();
  });

  it('loads exactly the rows format 1 loads, embedded and over HTTP, and a redelivered object adds nothing', async () => {
    const recs = records(fills(60));
    const [a, b, c] = [await fresh(), await fresh(), await fresh()];
    const key = 'staged/20260101T000000Z-abcdef/chain/00000/000000.ndjson.gz';
    const v1 = await loadStagedObject(client, a, { key, etag: 'e1', body: body(encodeStaged(recs)) }, { maxRowsPerInsert: 7 });
    const v2 = await loadStagedObject(client, b, { key, etag: 'e2', body: body(encodeStagedV2(recs)) }, { maxRowsPerInsert: 7 });
    const overHttp = await loadStagedObject(server, c, { key, etag: 'e2', body: body(encodeStagedV2(recs)) }, { maxRowsPerInsert: 7 });
    expect(v2).toEqual(v1);
    expect(overHttp).toEqual(v1);
    expect(v1.rows.fills).toBe(60);
    expect(v1.supersededTransactions).toBe(10);
    const expected = await rowsOf(a);
    expect(expected.fills).toHaveLength(60);
    expect(await rowsOf(b)).toEqual(expected);
    expect(await rowsOf(c)).toEqual(expected);
    // Redelivered: the same key and ETag add nothing, on either path.
    await loadStagedObject(client, b, { key, etag: 'e2', body: body(encodeStagedV2(recs)) }, { maxRowsPerInsert: 7 });
    await loadStagedObject(server, c, { key, etag: 'e2', body: body(encodeStagedV2(recs)) }, { maxRowsPerInsert: 7 });
    expect(await rowsOf(b)).toEqual(expected);
    expect(await rowsOf(c)).toEqual(expected);
  });

  it('resumes exactly after a load that died midway: the parts already in are not added twice', async () => {
    const recs = records(fills(50).map((f) => ({ ...f, exchange: '', source: 'subgraph' as const })));
    const whole = encodeStagedV2(recs);
    const db = await fresh();
    const key = 'staged/20260101T000000Z-abcdef/subgraph/00000/000001.ndjson.gz';
    // The engine fails the third part: the parts before it are in (and, inserts overlapping, maybe the one after), not all.
    const failing = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'exec') return Reflect.get(target, prop, receiver) as unknown;
        return (params: Parameters<ClickHouseClient['exec']>[0]) =>
          String(params.clickhouse_settings?.insert_deduplication_token).endsWith(':fills:2')
            ? Promise.reject(new Error('connection reset'))
            : target.exec(params);
      },
    });
    await expect(loadStagedObject(failing, db, { key, etag: 'x', body: body(whole) }, { maxRowsPerInsert: 10 })).rejects.toThrow(/connection reset/);
    const [partial] = (await rowsOf(db)).count as [{ n: string; final: string }];
    expect(Number(partial.n)).toBeGreaterThanOrEqual(20);
    expect(Number(partial.n)).toBeLessThan(50);
    expect(partial.final).toBe(partial.n);
    await loadStagedObject(client, db, { key, etag: 'x', body: body(whole) }, { maxRowsPerInsert: 10 });
    const after = await rowsOf(db);
    expect(after.count).toEqual([{ n: '50', final: '50' }]);
  });

  it('refuses the malformed fill rows format 1 refuses, and loads none of them', async () => {
    const good = fills(3);
    const bad: Array<[string, Record<string, unknown>]> = [
      ['leading zero', { maker_amount_filled: '01' }],
      ['sign', { fee: '+1' }],
      ['over uint256', { token_id: (UINT256_MAX + 1n).toString() }],
      ['79 digits', { token_id: '1'.repeat(79) }],
      ['short hash', { transaction_hash: '0x12' }],
      ['upper-case address', { maker: `0x${'A'.repeat(40)}` }],
      ['negative block', { block_number: -1 }],
      ['fractional timestamp', { timestamp: 1.5 }],
      ['empty id', { fill_id: '' }],
      ['no price', { price: Number.NaN }],
    ];
    const dbs = [await fresh(), await fresh()];
    for (const [name, change] of bad) {
      const recs = records([...good, { ...good[0]!, ...change } as FillRow]);
      for (const [i, encode] of [encodeStaged, encodeStagedV2].entries()) {
        const db = dbs[i]!;
        const err = await loadStagedObject(client, db, { key: `staged/bad-${name}`, etag: 'b', body: body(encode(recs)) }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, `${name} (${encode.name})`).toBeInstanceOf(StagedFormatError);
        expect((await rowsOf(db)).count, `${name} (${encode.name})`).toEqual([{ n: '0', final: '0' }]);
      }
    }
  });

  it('is built page by page: the same pages give the same bytes, holding every row once', async () => {
    const recs = records(fills(30));
    const build = async () => {
      const b = new StagedObjectBuilderV2();
      b.add(recs.slice(0, 10));
      b.add([]);
      b.add(recs.slice(10));
      return b.finish();
    };
    const [x, y] = [await build(), await build()];
    expect(x.equals(y)).toBe(true);
    const db = await fresh();
    const fromPages = await loadStagedObject(client, db, { key: 'staged/pages', etag: 'p', body: body(x) }, { maxRowsPerInsert: 4 });
    expect(fromPages.rows.fills).toBe(30);
    expect(fromPages.rows.rejects).toBe(1);
    const empty = await new StagedObjectBuilderV2().finish();
    expect((await loadStagedObject(client, await fresh(), { key: 'staged/empty', etag: 'e', body: body(empty) })).rows.fills).toBe(0);
  });
});
