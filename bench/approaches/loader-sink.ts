import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { serverClient } from '#adapters/clickhouse/client.ts';
import type { ApproachRequest, ApproachResult } from '#bench/lib/types.ts';
import { countingClient } from '#bench/lib/instrument.ts';

/**
 * The same loadStagedObject over the server client (HTTP, compressed) that the
 * Lambda uses, against a sink that only counts rows: the Node side alone.
 */
export async function loaderToSink(req: ApproachRequest, onBaseline: () => void): Promise<ApproachResult> {
  const counts = { inserts: 0 };
  const base = serverClient({ url: req.sinkUrl!, username: 'default', password: '' });
  // BENCH_SINK_REQUEST_COMPRESSION=0 prototypes the client without request compression (adapters/clickhouse/client.ts).
  const client = countingClient(
    process.env.BENCH_SINK_REQUEST_COMPRESSION === '0'
      ? (await import('@clickhouse/client')).createClient({
          url: req.sinkUrl!,
          compression: { request: false, response: true },
          keep_alive: { enabled: true, idle_socket_ttl: 2_000 },
        })
      : base,
    counts,
  );
  onBaseline();
  const started = Date.now();
  let rows = 0;
  for (const file of req.files ?? []) {
    const result = await loadStagedObject(client, 'bench_sink', { key: `bench/${basename(file)}`, etag: 'sink', body: createReadStream(file) });
    rows += result.rows.fills;
  }
  const wallMs = Date.now() - started;
  await client.close();
  return {
    kind: 'loader',
    ok: rows === req.expectedFills,
    reason: rows === req.expectedFills ? undefined : `${req.expectedFills - rows} rows missing`,
    wallMs,
    fillsLoaded: rows,
    fillsInWarehouse: rows,
    clickhouseInserts: counts.inserts,
    clientRequests: 0,
    clientThrottled: 0,
    extra: { objects: (req.files ?? []).length, rowsPerObject: Math.round(rows / Math.max(1, (req.files ?? []).length)), sink: 'http' },
  };
}
