import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import type { ApproachRequest, ApproachResult } from '#bench/lib/types.ts';
import { distinctFills, freshWarehouse } from './common.ts';

/** The loader's insert path alone: staged files → loadStagedObject → chDB, one object after another. */
export async function loaderOnly(req: ApproachRequest, onBaseline: () => void): Promise<ApproachResult> {
  const wh = await freshWarehouse(req.dir, 'bench_loader');
  const files = req.files ?? [];
  onBaseline();
  const started = Date.now();
  let rows = 0;
  let bytes = 0;
  for (const file of files) {
    bytes += statSync(file).size;
    const result = await loadStagedObject(wh.client, wh.database, {
      key: `bench/${basename(file)}`,
      etag: `bench-${basename(file)}`,
      body: createReadStream(file),
    });
    rows += result.rows.fills;
  }
  const wallMs = Date.now() - started;
  const inWarehouse = await distinctFills(wh.raw, wh.database);
  await wh.raw.close();
  return {
    kind: 'loader',
    ok: inWarehouse === req.expectedFills,
    reason: inWarehouse === req.expectedFills ? undefined : `${req.expectedFills - inWarehouse} fills missing`,
    wallMs,
    fillsLoaded: rows,
    fillsInWarehouse: inWarehouse,
    clickhouseInserts: wh.counts.inserts,
    clientRequests: 0,
    clientThrottled: 0,
    extra: { objects: files.length, rowsPerObject: Math.round(rows / Math.max(1, files.length)), gzipBytes: bytes },
  };
}
