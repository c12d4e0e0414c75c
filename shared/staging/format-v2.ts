import { constants, createZstdCompress, createZstdDecompress, zstdCompressSync, type ZstdCompress } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { StagedRecord } from '#shared/model/staged.ts';
import { checkFillTsvBlock, FILL_TSV_COLUMNS, FillTsvError, fillTsv } from './fill-tsv.ts';
import { StagedFormatError, stagedLineOf, type StagedLine } from './codec.ts';

/**
 * Staged format 2: one zstd frame (RFC 8878) holding
 *
 *     #polymarket-sync staged 2\n              the version marker, first line
 *     #fills\tfill_id\tsource\t…\tprice\n      a section of fills: the columns, then
 *     <one TabSeparated line per fill>          fill-tsv.ts
 *     #records\n                                a section of the other records, then
 *     {"table":"markets","row":{...}}\n        one JSON line each, as in format 1
 *
 * Sections follow each other in any order (a page writes its own), so the
 * fetcher streams its pages through one compressor and holds none of them.
 * zstd decompresses about three times as fast as gzip here, and the fill lines
 * go to the engine as TSV without being parsed in JavaScript. One frame, not a
 * frame per page: Node's zstd decoder stops at the end of the first frame
 * (https://github.com/nodejs/node/issues/64741, open), unlike gunzip with gzip members.
 */
export const STAGED_V2_HEADER = '#polymarket-sync staged 2';
export const FILLS_SECTION = `#fills\t${FILL_TSV_COLUMNS.join('\t')}`;
export const RECORDS_SECTION = '#records';
const SECTIONS = [FILLS_SECTION, RECORDS_SECTION];
export const STAGED_V2_CONTENT_TYPE = 'application/zstd';
/** zstd's frame magic number as it appears in the file (RFC 8878 section 3.1.1). */
export const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** Level 1: the fetcher is CPU-bound and the loader reads each object once. */
const ZSTD_PARAMS = { params: { [constants.ZSTD_c_compressionLevel]: 1 } };

/** A page's text: its fills as one section, then its other records as another. */
export function pageText(records: readonly StagedRecord[]): string {
  let others = '';
  let fills = '';
  for (const r of records) {
    if (r.table === 'fills') fills += fillTsv(r.row);
    else others += `{"table":"${r.table}","row":${JSON.stringify(r.row)}}\n`;
  }
  return `${fills ? `${FILLS_SECTION}\n${fills}` : ''}${others ? `${RECORDS_SECTION}\n${others}` : ''}`;
}

/** The whole object at once (tests, benches): the same text as the builder given the records as one page. */
export function encodeStagedV2(records: readonly StagedRecord[]): Buffer {
  return zstdCompressSync(Buffer.from(`${STAGED_V2_HEADER}\n${pageText(records)}`, 'utf8'), ZSTD_PARAMS);
}

/**
 * Builds a format-2 object page by page through one streaming compressor:
 * the fetcher holds compressed bytes, never an object's text. The same pages
 * give the same bytes whatever the machine's timing, so a re-fetch keeps the
 * ETag, and with it the loader's deduplication token.
 *
 * That needs the compressor ended only once every page has gone through it:
 * Node compresses a piece still queued at `end()` as the frame's last, which
 * gives other bytes than the same piece followed by an empty end.
 */
export class StagedObjectBuilderV2 {
  private zstd: ZstdCompress | null = null;
  private readonly out: Buffer[] = [];
  private ended: Promise<void> | null = null;
  private count = 0;

  /** The compressor starts at the first rows, so a builder left empty holds nothing open. */
  private stream(): ZstdCompress {
    if (this.zstd) return this.zstd;
    const zstd = createZstdCompress(ZSTD_PARAMS);
    zstd.on('data', (chunk: Buffer) => this.out.push(chunk));
    this.ended = new Promise((resolve, reject) => {
      zstd.once('end', resolve);
      zstd.once('error', reject);
    });
    zstd.write(`${STAGED_V2_HEADER}\n`);
    return (this.zstd = zstd);
  }

  add(records: readonly StagedRecord[]): void {
    if (records.length === 0) return;
    this.stream().write(pageText(records));
    this.count += records.length;
  }

  get records(): number {
    return this.count;
  }

  async finish(): Promise<Buffer> {
    const zstd = this.stream();
    // An empty write goes through after every page (in order); its callback is the sign they all
    // have. Not rejected on an error: the stream's 'error' rejects `ended`, which comes next.
    await Promise.race([new Promise<void>((resolve) => zstd.write(Buffer.alloc(0), () => resolve())), this.ended]);
    zstd.end();
    await this.ended;
    return Buffer.concat(this.out);
  }
}

/** One thing a format-2 object holds: a record that is not a fill, or a checked block of fill lines ready for the engine. */
export type StagedItem = ({ kind: 'record' } & StagedLine) | { kind: 'fills'; body: Buffer; rows: number; newest: number | null };

export interface ReadV2Options {
  /** Put before every fill line's line feed (the loader's `staged_object` column). */
  fillSuffix: Buffer;
  /** No block of fills crosses a multiple of this many rows, so the loader can cut its inserts at exact row counts. */
  cutEvery: number;
  /** Receives the transactions of fills read from a V1 exchange's logs. */
  v1ChainTransactions: Set<string>;
}

/**
 * Streams a format-2 object: records one by one, fills in checked blocks of
 * whole lines. Refuses the first line that is not a well-formed record, as
 * readStagedLines does for format 1.
 */
export async function* readStagedV2(body: Readable, opts: ReadV2Options): AsyncGenerator<StagedItem> {
  const input = body.pipe(createZstdDecompress({ chunkSize: 256 * 1024 }));
  body.once('error', (err) => input.destroy(err));
  let carry: Buffer | null = null;
  let lineNumber = 0;
  let mode: 'header' | 'records' | 'fills' = 'header';
  let fillRows = 0;
  /** Reads the whole lines of `buf` from `start`; returns where the first incomplete line starts. */
  function* wholeLines(buf: Buffer, start: number): Generator<StagedItem, number> {
    for (;;) {
      if (mode !== 'fills') {
        const nl = buf.indexOf(10, start);
        if (nl < 0) return start;
        const line = buf.toString('utf8', start, nl);
        start = nl + 1;
        lineNumber++;
        if (mode === 'header') {
          if (line !== STAGED_V2_HEADER) throw new StagedFormatError(`line 1 is not the format-2 marker: ${line.slice(0, 120)}`);
          mode = 'records';
        } else if (line === FILLS_SECTION) mode = 'fills';
        else if (line !== RECORDS_SECTION) {
          const record = stagedLineOf(line, lineNumber);
          if (record.table === 'fills') throw new StagedFormatError(`line ${lineNumber}: a format-2 object holds fills only in fill sections`);
          yield { kind: 'record', ...record };
        }
        continue;
      }
      const end = buf.lastIndexOf(10) + 1;
      if (end <= start) return start;
      let block;
      try {
        // A block ends where the row count reaches a multiple of cutEvery.
        block = checkFillTsvBlock(buf.subarray(start, end), opts.fillSuffix, opts.cutEvery - (fillRows % opts.cutEvery), opts.v1ChainTransactions, SECTIONS);
      } catch (err) {
        if (err instanceof FillTsvError) throw new StagedFormatError(`line ${lineNumber + err.lineIndex + 1} (fills): ${err.problem}: ${err.line}`);
        throw err;
      }
      if (block.rows > 0) yield { kind: 'fills', body: block.body, rows: block.rows, newest: block.newest };
      fillRows += block.rows;
      lineNumber += block.rows;
      start += block.consumed;
      // The marker line is read next, in records mode, which turns back to fills at a fill section.
      if (block.stopped) mode = 'records';
    }
  }
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    if (carry) {
      // The line cut at the end of the last chunk is completed alone, so no chunk is copied whole.
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const head = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
      carry = null;
      if ((yield* wholeLines(head, 0)) !== head.length) throw new Error('a whole line was left unread');
      start = nl + 1;
    }
    start = yield* wholeLines(chunk, start);
    if (start < chunk.length) carry = Buffer.from(chunk.subarray(start));
  }
  if (mode === 'header') throw new StagedFormatError('the object holds no format-2 marker');
  if (carry) throw new StagedFormatError(`line ${lineNumber + 1} has no line feed: ${carry.toString('utf8', 0, 120)}`);
}
