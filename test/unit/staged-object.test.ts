import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { encodeStaged, readStagedLines, StagedObjectBuilder } from '#shared/staging/codec.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { FillRow } from '#shared/model/fill.ts';

const fill = (i: number): StagedRecord => ({
  table: 'fills',
  row: {
    fill_id: `0x${i.toString(16).padStart(64, '0')}_0x${'b'.repeat(64)}`,
    source: 'subgraph', exchange: '', block_number: 0, log_index: 0, timestamp: 1_700_000_000 + i,
    transaction_hash: `0x${i.toString(16).padStart(64, '0')}`, order_hash: `0x${'b'.repeat(64)}`,
    maker: `0x${'1'.repeat(40)}`, taker: `0x${'2'.repeat(40)}`, maker_asset_id: '0', taker_asset_id: '7'.repeat(77),
    maker_amount_filled: String(400_000 + i), taker_amount_filled: '1000000', fee: '0', token_id: '7'.repeat(77),
    side: 'BUY', usdc_amount: String(400_000 + i), token_amount: '1000000', price: 0.4,
  } satisfies FillRow,
});
const page = (from: number, n: number) => Array.from({ length: n }, (_, i) => fill(from + i));

function build(pages: StagedRecord[][]): Buffer {
  const object = new StagedObjectBuilder();
  for (const p of pages) object.add(p);
  return object.finish();
}

describe('a staged object built page by page', () => {
  it('reads back every row in order, across the pages', async () => {
    const pages = [page(0, 300), [], page(300, 1), page(301, 250)];
    const ids: string[] = [];
    for await (const line of readStagedLines(Readable.from([build(pages)]))) ids.push(JSON.parse(line.rowJson).fill_id);
    expect(ids).toEqual(pages.flat().map((r) => (r.row as FillRow).fill_id));
  });

  it('is byte-identical for the same pages (a re-fetch keeps the ETag), and differs when a page differs', () => {
    const pages = [page(0, 100), page(100, 100)];
    expect(build(pages).equals(build(pages))).toBe(true);
    expect(build([page(0, 100), page(100, 99)]).equals(build(pages))).toBe(false);
  });

  it('holds the same text as one encode of all the rows', () => {
    const pages = [page(0, 40), page(40, 60)];
    expect(gunzipSync(build(pages)).toString()).toBe(gunzipSync(encodeStaged(pages.flat())).toString());
  });

  it('is an empty gzip file when no page had rows', async () => {
    expect(gunzipSync(build([[], []])).length).toBe(0);
    const lines = [];
    for await (const line of readStagedLines(Readable.from([build([])]))) lines.push(line);
    expect(lines).toEqual([]);
  });
});
