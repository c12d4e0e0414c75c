/**
 * One process of the loader-fast part (bench/parts/loader-fast.ts forks it over IPC), in one of two roles:
 * - `engine`: the ClickHouse engine (chDB) behind the HTTP front that speaks ClickHouse's HTTP
 *   interface (test/support/clickhouse-http-front.ts), for the server path; answers counts.
 * - `load`: the loader alone, loading one staged object with loadStagedObject into the engine
 *   in its own process (embedded) or over HTTP (server path, no engine in this process), its
 *   peak RSS and JS heap measured here.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { jsMemorySampler } from '#bench/lib/instrument.ts';

export type LoaderFastRequest =
  | { role: 'engine'; dataDir: string; databases: string[] }
  | { role: 'count'; database: string }
  | { role: 'cpu' }
  | { role: 'load'; file: string; target: 'embedded' | 'server'; dataDir?: string; url?: string; database: string; maxRowsPerInsert: number };

export interface LoadFigures {
  rows: number;
  wallMs: number;
  /** RSS before the load (the engine's library, when embedded, is loaded by then). */
  baselineRssBytes: number;
  maxRssBytes: number;
  peakJsBytes: number;
  /** CPU time of the loader's process over the load, user + system, every thread (the engine's too, when embedded). */
  cpuMs: number;
  /** Fills in the table afterwards, `count()` and `count() FINAL` (embedded only; the parent asks the engine otherwise). */
  count?: number;
  countFinal?: number;
}

export type LoaderFastAnswer =
  | { type: 'ready' }
  | { type: 'engine'; url: string }
  | { type: 'count'; count: number; countFinal: number }
  | { type: 'cpu'; cpuMs: number }
  | { type: 'load'; figures: LoadFigures }
  | { type: 'error'; message: string };

const send = (m: LoaderFastAnswer) => process.send?.(m);
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
let engine: ClickHouseClient | null = null;

async function counts(client: ClickHouseClient, database: string): Promise<{ count: number; countFinal: number }> {
  const res = await client.query({
    query: `SELECT count() AS n, (SELECT count() FROM ${database}.fills FINAL) AS f FROM ${database}.fills`,
    format: 'JSONEachRow',
  });
  const [row] = (await res.json()) as [{ n: string; f: string }];
  return { count: Number(row.n), countFinal: Number(row.f) };
}

async function handle(req: LoaderFastRequest): Promise<LoaderFastAnswer> {
  switch (req.role) {
    case 'engine': {
      const { embeddedClient } = await import('#local/embedded-clickhouse.ts');
      const { migrate } = await import('#adapters/clickhouse/schema.ts');
      const { startClickHouseHttpFront } = await import('#test/support/clickhouse-http-front.ts');
      engine = embeddedClient(req.dataDir);
      for (const db of req.databases) await migrate(engine, db);
      const front = await startClickHouseHttpFront({ client: engine });
      return { type: 'engine', url: front.url };
    }
    case 'count':
      return { type: 'count', ...(await counts(engine!, req.database)) };
    case 'cpu':
      return { type: 'cpu', cpuMs: cpuMs() };
    case 'load': {
      let client: ClickHouseClient;
      if (req.target === 'embedded') {
        const { embeddedClient } = await import('#local/embedded-clickhouse.ts');
        const { migrate } = await import('#adapters/clickhouse/schema.ts');
        client = embeddedClient(req.dataDir!);
        await migrate(client, req.database);
      } else {
        // The server path must not load chDB's library: its RSS would count against the loader.
        const { serverClient } = await import('#adapters/clickhouse/client.ts');
        client = serverClient({ url: req.url!, username: 'default', password: '' });
      }
      const baselineRssBytes = process.memoryUsage().rss;
      const sampler = jsMemorySampler();
      const started = Date.now();
      const cpuBefore = cpuMs();
      const result = await loadStagedObject(
        client,
        req.database,
        { key: `staged/bench/${basename(req.file)}`, etag: basename(req.file), body: createReadStream(req.file, { highWaterMark: 1 << 20 }) },
        { maxRowsPerInsert: req.maxRowsPerInsert },
      );
      const wallMs = Date.now() - started;
      const cpu = cpuMs() - cpuBefore;
      const figures: LoadFigures = {
        rows: result.rows.fills,
        wallMs,
        baselineRssBytes,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        peakJsBytes: sampler.peak(),
        cpuMs: cpu,
        ...(req.target === 'embedded' ? await counts(client, req.database) : {}),
      };
      sampler.stop();
      await client.close();
      return { type: 'load', figures };
    }
  }
}

process.on('message', (req: LoaderFastRequest) => {
  handle(req).then(send, (err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
});
send({ type: 'ready' });
