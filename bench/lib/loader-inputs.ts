import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { constants, gunzipSync, createGzip, createGunzip, createZstdCompress } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dataset } from '#simulator/index.ts';
import { subgraphFill } from '#shared/sources/subgraph/schema.ts';
import { encodeStaged } from '#shared/staging/codec.ts';
import { pageText, STAGED_V2_HEADER } from '#shared/staging/format-v2.ts';
import type { StagedRecord } from '#shared/model/staged.ts';

/** What the loader approaches load from and into: staged object files, and an HTTP sink that stands in for ClickHouse. */

/**
 * Writes staged objects the way the fetcher does (encodeStaged, gzip NDJSON):
 * one object of `bigRows` fills, and the same fills again as objects of
 * `smallRows` (the pipeline's default object: 20 pages of 1,000).
 */
export async function writeStagedFiles(ds: Dataset, dir: string, bigRows: number, smallRows: number): Promise<{ big: string; small: string[]; rows: number }> {
  mkdirSync(dir, { recursive: true });
  const rows = Math.min(bigRows, ds.fills.length);
  const big = join(dir, 'big-000000.ndjson.gz');
  const gz = createGzip({ level: 6 });
  const out = createWriteStream(big);
  gz.pipe(out);
  const small: string[] = [];
  for (let i = 0; i < rows; i += smallRows) {
    const records: StagedRecord[] = [];
    for (const f of ds.fills.slice(i, Math.min(rows, i + smallRows))) {
      const fill = subgraphFill({ ...f, timestamp: String(f.timestamp) });
      if (typeof fill === 'string') throw new Error(`dataset fill does not map: ${fill}`);
      records.push({ table: 'fills', row: fill });
    }
    const encoded = encodeStaged(records);
    const file = join(dir, `small-${String(small.length).padStart(6, '0')}.ndjson.gz`);
    const w = createWriteStream(file);
    w.end(encoded);
    await once(w, 'finish');
    small.push(file);
    if (!gz.write(gunzipSync(encoded))) await once(gz, 'drain');
  }
  gz.end();
  await once(out, 'finish');
  return { big, small, rows };
}

/**
 * One object of `rows` fills in each staged format, written as the fetcher
 * writes them page by page (pages of 1,000), streamed to disk: format 1
 * (gzip JSON lines, what objects staged before format 2 hold) and format 2
 * (zstd, fills as TSV).
 */
export async function writeBigStagedObjects(ds: Dataset, dir: string, rows: number): Promise<{ v1: string; v2: string; rows: number }> {
  mkdirSync(dir, { recursive: true });
  const n = Math.min(rows, ds.fills.length);
  const v1 = join(dir, 'big-v1.ndjson.gz');
  const v2 = join(dir, 'big-v2.zst');
  const gz = createGzip({ level: 1 });
  const zstd = createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: 1 } });
  const outs = [once(gz.pipe(createWriteStream(v1)), 'finish'), once(zstd.pipe(createWriteStream(v2)), 'finish')];
  zstd.write(`${STAGED_V2_HEADER}\n`);
  for (let i = 0; i < n; i += 1_000) {
    const records: StagedRecord[] = [];
    for (const f of ds.fills.slice(i, Math.min(n, i + 1_000))) {
      const fill = subgraphFill({ ...f, timestamp: String(f.timestamp) });
      if (typeof fill === 'string') throw new Error(`dataset fill does not map: ${fill}`);
      records.push({ table: 'fills', row: fill });
    }
    gz.write(gunzipSync(encodeStaged(records)));
    zstd.write(pageText(records));
    if (gz.writableNeedDrain) await once(gz, 'drain');
    if (zstd.writableNeedDrain) await once(zstd, 'drain');
  }
  gz.end();
  zstd.end();
  await Promise.all(outs);
  return { v1, v2, rows: n };
}

/**
 * Answers ClickHouse's HTTP interface with 200 to every request and counts
 * the rows it was sent: lets the loader's Node side run as it does in Lambda,
 * without a server's own memory or speed in the figures.
 */
export async function startInsertSink(): Promise<{ url: string; rows: () => number; close: () => Promise<void> }> {
  let rows = 0;
  const server: Server = createServer((req, res) => {
    const body = req.headers['content-encoding'] === 'gzip' ? req.pipe(createGunzip()) : req;
    body.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows++;
    });
    body.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-clickhouse-summary': '{}' });
      res.end('');
    });
    body.on('error', () => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rows: () => rows,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
