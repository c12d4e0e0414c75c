import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { encodeStaged, readStagedLines, StagedObjectBuilder } from '#shared/staging/codec.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { FillRow } from '#shared/model/fill.ts';
import { sampleFill } from '#test/support/fills.ts';

const fill = (i: number): StagedRecord => ({ table: 'fills', row: sampleFill(i) });
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
