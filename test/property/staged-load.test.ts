import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { encodeStaged, readStagedLines, StagedFormatError } from '#shared/staging/codec.ts';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { FillRow } from '#shared/model/fill.ts';
import { hexBytes, uint256 } from './support.ts';

/**
 * Staged objects are ours, but the loader must not trust them blindly: a
 * hostile or damaged NDJSON object fails clearly and loads nothing, never a
 * part of itself and never a wrong row.
 */
const fillRow = fc
  .record({
    tx: hexBytes(32),
    order: hexBytes(32),
    ts: fc.integer({ min: 0, max: 4_000_000_000 }),
    token: uint256,
    a: uint256,
    b: uint256,
    fee: uint256,
    buy: fc.boolean(),
  })
  .map((v): FillRow => ({
    fill_id: `${v.tx}_${v.order}`,
    source: 'subgraph',
    exchange: '',
    block_number: 0,
    log_index: 0,
    timestamp: v.ts,
    transaction_hash: v.tx,
    order_hash: v.order,
    maker: `0x${'1'.repeat(40)}`,
    taker: `0x${'2'.repeat(40)}`,
    maker_asset_id: v.buy ? '0' : v.token,
    taker_asset_id: v.buy ? v.token : '0',
    maker_amount_filled: v.a,
    taker_amount_filled: v.b,
    fee: v.fee,
    token_id: v.token,
    side: v.buy ? 'BUY' : 'SELL',
    usdc_amount: v.buy ? v.a : v.b,
    token_amount: v.buy ? v.b : v.a,
    price: 0.5,
  }));
const record: fc.Arbitrary<StagedRecord> = fc.oneof(
  fillRow.map((row) => ({ table: 'fills' as const, row })),
  fc.record({ source: fc.string(), reason: fc.string(), raw: fc.string() }).map((row) => ({ table: 'rejects' as const, row })),
);

async function lines(buf: Buffer) {
  const out = [];
  for await (const l of readStagedLines(Readable.from([buf]))) out.push(l);
  return out;
}

describe('readStagedLines', () => {
  it('gives back exactly what encodeStaged wrote, line by line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 30 }), async (records) => {
        const got = await lines(encodeStaged(records));
        expect(got.map((l) => [l.table, l.rowJson])).toEqual(records.map((r) => [r.table, JSON.stringify(r.row)]));
      }),
      { numRuns: 200 },
    );
  });

  it('fails a damaged object clearly: a line that is not a staged record, or bytes that are not gzip', async () => {
    const hostile = fc.oneof(
      fc.string({ minLength: 1 }).filter((s) => !s.includes('\n') && !s.includes('\r') && s.trim().length > 0),
      fc.constantFrom('{"table":"fills","row":', '{"table":"evil","row":{}}', '{"table":"fills"}', '{"row":{},"table":"fills"}', '{"table":"fills","row":{}} '),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 10 }), hostile, fc.nat(), async (records, bad, at) => {
        const text = records.map((r) => `{"table":"${r.table}","row":${JSON.stringify(r.row)}}`);
        text.splice(at % (text.length + 1), 0, bad);
        const err = await lines(gzipSync(Buffer.from(text.join('\n') + '\n'))).then(
          () => null,
          (e: Error) => e,
        );
        const looksStaged =
          /^\{"table":"(fills|markets|token_claims|conditions|activity|neg_risk_questions|wallets|chain_coverage|rejects)","row":.*\}\}$/.test(bad);
        if (!looksStaged) expect(err).toBeInstanceOf(StagedFormatError);
      }),
      { numRuns: 300 },
    );
    const notGzip = await lines(Buffer.from('{"table":"fills","row":{}}\n')).then(
      () => null,
      (e: Error) => e,
    );
    expect(notGzip).toBeInstanceOf(Error);
  });
});

/** Amounts ClickHouse itself refuses in a UInt256 column (it reads "+1", "01", "1e5" and 78-digit values leniently: see the BUG tests). */
const refusedUint = fc.oneof(
  fc.bigInt({ min: 1n, max: 1n << 255n }).map((n) => `-${n}`),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 999 })).map(([a, b]) => `${a}.${b}`),
  fc.constantFrom('abc', 'NaN', 'one', '١٢٣'),
);

describe('loadStagedObject with hostile objects (chDB)', () => {
  let client: ClickHouseClient;
  const db = 'hostile';
  let seq = 0;

  beforeAll(async () => {
    client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-hostile-')));
    await migrate(client, db);
  });
  afterAll(async () => client?.close());

  async function rowsOf(key: string): Promise<number> {
    const res = await client.query({
      query: `SELECT count() AS n FROM ${db}.fills WHERE staged_object = {k:String}`,
      query_params: { k: key },
      format: 'JSONEachRow',
    });
    return Number(((await res.json()) as [{ n: string }])[0].n);
  }

  async function load(body: Buffer) {
    const key = `staged/hostile/${++seq}`;
    const result = await loadStagedObject(client, db, { key, etag: String(seq), body: Readable.from([body]) }).then(
      (r) => ({ ok: true as const, r }),
      (e: Error) => ({ ok: false as const, e }),
    );
    return { key, result, rows: await rowsOf(key) };
  }

  it('loads nothing of an object with one hostile line among good ones (bad text, negative or fractional amounts, bad enum or time)', async () => {
    const hostileLine = fc.oneof(
      fc.string({ minLength: 1 }).filter((s) => !/[\r\n]/.test(s) && s.trim().length > 0 && !s.startsWith('{"table"')),
      fc
        .tuple(fillRow, fc.constantFrom('maker_amount_filled', 'fee', 'token_id', 'usdc_amount'), refusedUint)
        .map(([row, field, bad]) => `{"table":"fills","row":${JSON.stringify({ ...row, [field]: bad })}}`),
      fillRow.map((row) => `{"table":"fills","row":${JSON.stringify({ ...row, timestamp: 'yesterday' })}}`),
      fillRow.map((row) => `{"table":"fills","row":${JSON.stringify({ ...row, side: 'HOLD' })}}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fillRow, { minLength: 1, maxLength: 20 }), hostileLine, fc.nat(), async (rows, bad, at) => {
        const text = rows.map((row) => `{"table":"fills","row":${JSON.stringify(row)}}`);
        text.splice(at % (text.length + 1), 0, bad);
        const { result, rows: loaded } = await load(gzipSync(Buffer.from(text.join('\n') + '\n')));
        expect(result.ok, bad.slice(0, 200)).toBe(false);
        if (!result.ok) expect(result.e.message.length).toBeGreaterThan(0);
        expect(loaded).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('loads nothing when a large object breaks at its very end (the insert is streamed)', async () => {
    const row = fc.sample(fillRow, { numRuns: 1, seed: 1 })[0]!;
    const good = Array.from({ length: 30_000 }, (_, i) => `{"table":"fills","row":${JSON.stringify({ ...row, fill_id: `big_${i}` })}}`);
    const { result, rows } = await load(gzipSync(Buffer.from(`${good.join('\n')}\n{"table":"fills","row":{"fill_id":"x","maker_amount_filled":"-1"}}\n`)));
    expect(result.ok).toBe(false);
    expect(rows).toBe(0);
  });

  it('loads a well-formed object exactly, and a second load of it adds nothing', async () => {
    const rows = fc.sample(fillRow, { numRuns: 50, seed: 2 });
    const body = encodeStaged(rows.map((row) => ({ table: 'fills', row })));
    const key = 'staged/hostile/exact';
    await loadStagedObject(client, db, { key, etag: 'e', body: Readable.from([body]) });
    await loadStagedObject(client, db, { key, etag: 'e', body: Readable.from([body]) });
    expect(await rowsOf(key)).toBe(rows.length);
  });

  // Was a BUG, fixed in 5f7a8a4 (adapters/clickhouse/load-staged.ts, loadStagedObject): rows go to ClickHouse as JSONEachRow without
  // being checked. JSONEachRow fills omitted columns with defaults, so a staged line that names only a fill
  // id loads as a fill of 0 USDC at 1970-01-01, side BUY; and a 78-digit amount above uint256 wraps
  // silently in UInt256. Fix: check each line against stagedRecordSchema (it has the uint256 bound and every
  // column) before it is written to the insert, and fail the object with StagedFormatError.
  it('refuses a staged fill row with missing columns instead of loading it with defaults', async () => {
    const { result, rows } = await load(gzipSync(Buffer.from('{"table":"fills","row":{"fill_id":"evil"}}\n')));
    expect(result.ok).toBe(false);
    expect(rows).toBe(0);
  });

  it('refuses a staged amount above uint256 instead of letting it wrap', async () => {
    const row = fc.sample(fillRow, { numRuns: 1, seed: 3 })[0]!;
    const over = ((1n << 256n) + 5n).toString();
    const { result, rows } = await load(gzipSync(Buffer.from(`{"table":"fills","row":${JSON.stringify({ ...row, maker_amount_filled: over })}}\n`)));
    expect(result.ok).toBe(false);
    expect(rows).toBe(0);
  });

  it('refuses amounts that are not plain decimal integers ("+1", "01")', async () => {
    const row = fc.sample(fillRow, { numRuns: 1, seed: 4 })[0]!;
    for (const bad of ['+1', '01']) {
      const { result, rows } = await load(gzipSync(Buffer.from(`{"table":"fills","row":${JSON.stringify({ ...row, fee: bad })}}\n`)));
      expect(result.ok, bad).toBe(false);
      expect(rows, bad).toBe(0);
    }
  });
});
