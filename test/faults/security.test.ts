import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { generateDataset, startSimulatedSources, type SimulatedSources } from '#simulator/index.ts';
import { fetchShard } from '#shared/pipeline/fetcher.ts';
import { loadObject } from '#shared/pipeline/loader.ts';
import { parseStagedKey, shardMessageSchema, stagedKey } from '#shared/pipeline/messages.ts';
import { SOURCE_NAMES, type AnySource } from '#shared/sources/source.ts';
import type { FillRow } from '#shared/model/fill.ts';
import type { ShardRecord, StateStore } from '#shared/ports/state.ts';
import { redactUrls } from '#shared/ops/status.ts';
import { localWarehouse } from '#local/cli/warehouse.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const PASSWORD = 'pw-S3CR3T-4f9c2e7a1b';
const TOKEN = 'tok-S3CR3T-8d3b6a0c55';

/** Captures everything written to stdout/stderr (Powertools logs, console) while `work` runs. */
async function captured<T>(work: () => Promise<T>): Promise<{ result: T; text: string }> {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = ((chunk: string | Uint8Array) => (
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')),
    true
  )) as typeof process.stdout.write;
  process.stdout.write = grab;
  process.stderr.write = grab;
  try {
    const result = await work();
    return { result, text: chunks.join('') };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('secrets never reach logs or errors', () => {
  let sim: SimulatedSources;
  let p: TestPipeline;

  beforeAll(async () => {
    sim = await startSimulatedSources({ dataset: generateDataset({ seed: 41, markets: 40, fills: 3_000 }) });
    p = await startTestPipeline({
      // A provider key in the query string, as many hosted endpoints take it.
      POLYMARKET_SUBGRAPH_URL: `${sim.subgraphUrl}?api_key=${TOKEN}`,
      POLYMARKET_MARKETS_URL: sim.marketsUrl,
      POLYMARKET_GAMMA_URL: sim.gammaUrl,
      SYNC_SOURCES: 'markets,subgraph',
      CLICKHOUSE_PASSWORD: PASSWORD,
      CLICKHOUSE_USER: 'sync',
      SOURCE_MAX_RETRIES: '0',
      // Small pages: the fetchers are still paging when the faults are armed.
      SUBGRAPH_PAGE_SIZE: '50',
      PAGES_PER_OBJECT: '1',
    });
  });
  afterAll(async () => {
    await p?.close();
    await sim?.close();
  });

  // Was a BUG, fixed in 16f54ae (shared/sources/http.ts beforeError + functions/fetcher.ts `logger.error('shard failed', { error })`):
  // ky's HTTPError message is "Request failed with status code 500 ...: POST <full URL>", and the handler logs
  // the whole error object (message, options.body with every token id, request). A source URL that carries a
  // key (?api_key=..., or a path segment as Alchemy/QuickNode use) is written to the logs on every failed page.
  // Fix: in sourceHttp's beforeError, replace the URL in error.message with origin + path (no query, no user
  // info), and log only { name, message } of errors (shared/ops/status.ts redactUrls does the first part).
  it('runs a whole cycle with failing pages and a configured secret, and no log line contains it', async () => {
    // Once planned, the first fill pages fail (no retries inside the source): errors get logged on the way.
    let armed = false;
    const { result, text } = await captured(() =>
      p.cycle({
        logLevel: 'DEBUG',
        retryDelaySeconds: 1,
        onProgress: () => {
          if (!armed) sim.subgraph.setFaults({ script: ['500', '503', '429'] });
          armed = true;
        },
      }),
    );
    sim.subgraph.setFaults({});
    expect(result.ok).toBe(true);
    // The faults did fail pages, and the failures were logged.
    expect(result.invocations.failedMessages).toBeGreaterThan(0);
    expect(text).toContain('shard failed');
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(TOKEN);
  });

  it('keeps the ClickHouse password out of the warehouse description and its connection errors', async () => {
    const w = localWarehouse('/tmp/unused', {
      CLICKHOUSE_URL: `http://sync:${PASSWORD}@127.0.0.1:9/`,
      CLICKHOUSE_USER: 'sync',
      CLICKHOUSE_PASSWORD: PASSWORD,
    });
    expect(w.describe).not.toContain(PASSWORD);
    const err = await w.client.query({ query: 'SELECT 1' }).then(
      () => null,
      (e: Error) => e,
    );
    await w.client.close();
    expect(err).toBeInstanceOf(Error);
    expect(`${err?.message} ${err?.stack} ${JSON.stringify(err)}`).not.toContain(PASSWORD);
  });

  it('redacts user info and query strings from URLs in operator messages', () => {
    expect(redactUrls(`POST http://u:${PASSWORD}@host:1/path?api_key=${TOKEN}: 500`)).toBe('POST http://host:1/path?… 500');
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.stringMatching(/^[A-Za-z0-9]{4,16}$/).map((x) => `SECRET${x}`),
        (url, secret) => {
          const u = new URL(url);
          u.searchParams.set('key', secret);
          u.username = 'user';
          u.password = secret;
          expect(redactUrls(`failed: ${u.toString()} (x)`)).not.toContain(secret);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('SQL takes values as parameters and identifiers from a checked list', () => {
  /** Every `${...}` inside a SQL template literal in shared/, adapters/ and local/, with why it is safe. */
  const ALLOWED: Record<string, string> = {
    db: 'assertIdentifier(database) (schema.ts, load-staged.ts) or MIGRATIONS statements(db) called with it',
    'this.db': 'assertIdentifier in the constructor (adapters/clickhouse/warehouse-stats.ts)',
    table: '`${db}.<fixed table name>` built in load-staged.ts from an asserted db',
    'w.database': 'CLICKHOUSE_DATABASE, checked by the identifier schema in shared/config.ts',
    'opts.warehouse.database': 'migrate() asserts it before any other statement in local/runner.ts',
    database: 'soak database name: a literal or the caller’s fixed name, passed through migrate() (assertIdentifier) first',
    'Number(wm.value)': 'a number',
    target: 'local/embedded-clickhouse.ts: the table (and column list) of an INSERT the client built, re-read through an anchored identifier pattern',
    format: 'local/embedded-clickhouse.ts: the format name of that INSERT, letters only by the same pattern',
    'sqlString(file)': 'local/embedded-clickhouse.ts: our own mkdtemp path, quoted as a string literal',
    FILL_COLUMNS: 'column names from the fixed FILL_FIELDS list (shared/staging/fill-line.ts), joined in load-staged.ts',
    'w.db': 'shared/ops/quality: checked(target) runs assertIdentifier on the database (sql.ts)',
    FILLS_IN_BATCH: 'adapters/clickhouse/positions-store.ts: a constant filter whose values are {params}',
    ACTIVITY_IN_BATCH: 'adapters/clickhouse/positions-store.ts: a constant filter whose values are {params}',
    CTF_FILLS: 'adapters/clickhouse/positions-store.ts: a constant filter naming the fixed Protocol V2 exchange address',
    IS_V1: 'shared/ops/quality/eras.ts: a constant filter whose addresses are {v1:Array(String)} params',
    IS_V2: 'shared/ops/quality/eras.ts: a constant filter whose addresses are {v2:Array(String)} params',
    clipped: 'shared/ops/quality/coverage.ts: a constant subquery whose values are {params}',
    copies: 'shared/ops/quality/duplicates.ts: a constant subquery over the checked db',
    joined: 'shared/ops/quality/resolutions.ts: a constant subquery over the checked db',
    'p.where': 'shared/ops/quality/ids.ts: the where clause of a fixed PROBES entry (literals and {params} only)',
    'p.value': 'shared/ops/quality/ids.ts: the value expression of a fixed PROBES entry',
    'p.table': 'shared/ops/quality/ids.ts: the table name of a fixed PROBES entry',
    id: "local/soak/checks.ts: a column name, typed 'fill_id' | 'event_id'",
    TRADE_COLUMNS: 'adapters/clickhouse/migrations-v5.ts: the constant select list of the trades views',
    CREDITED_COLUMNS: 'shared/ops/quality/attribution.ts: a constant select list of aggregates',
    'marketColumns(db)': 'adapters/clickhouse/migrations-v6.ts: dictGet calls on the checked db',
    "format === 'v2' ? 'TabSeparated' : 'JSONEachRow'": 'adapters/clickhouse/load-staged.ts: one of two fixed format names',
  };
  // Statements are written in upper case here; prose ("log from ${x}") is not SQL.
  const SQL = /\b(SELECT|INSERT\s+INTO|CREATE\s+(TABLE|DATABASE|VIEW)|ALTER\s+TABLE|DROP\s+|OPTIMIZE\s+TABLE|DELETE\s+FROM|FROM\s+\$\{)/;

  function files(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return files(path);
      return path.endsWith('.ts') ? [path] : [];
    });
  }

  it('finds no interpolation into SQL outside the reviewed identifier list', () => {
    const offenders: string[] = [];
    let sqlTemplates = 0;
    for (const file of [...files(join(ROOT, 'shared')), ...files(join(ROOT, 'adapters')), ...files(join(ROOT, 'local'))]) {
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/`((?:[^`\\]|\\.)*)`/gs)) {
        const body = m[1]!;
        if (!SQL.test(body)) continue;
        sqlTemplates++;
        for (const expr of body.matchAll(/\$\{([^}]*)\}/g)) {
          const e = expr[1]!.trim();
          if (!(e in ALLOWED)) offenders.push(`${relative(ROOT, file)}: \${${e}}`);
        }
      }
    }
    expect(sqlTemplates).toBeGreaterThan(5);
    expect(offenders).toEqual([]);
  });

  it('asserts the database identifier before building statements from it', () => {
    for (const file of ['adapters/clickhouse/schema.ts', 'adapters/clickhouse/load-staged.ts', 'adapters/clickhouse/warehouse-stats.ts']) {
      expect(readFileSync(join(ROOT, file), 'utf8'), file).toMatch(/assertIdentifier\(/);
    }
  });
});

describe('staged object keys never come from source text', () => {
  const message = { runId: '20260101T000000Z-abcdef', shardId: '00007', source: 'subgraph' as const, spec: {} };
  const pathy = ['../../../etc/passwd', 'staged/../../x', '/absolute', 'a\u0000b', '%2e%2e%2f', 'x/../../y.ndjson.gz'];

  it('builds keys from the run id, source, shard id and sequence only, whatever the rows say', async () => {
    const puts: string[] = [];
    const shard: ShardRecord = {
      runId: message.runId,
      shardId: message.shardId,
      source: 'subgraph',
      spec: '{}',
      label: '',
      estimatedRows: 0,
      cursor: null,
      nextSeq: 0,
      done: false,
      rowsStaged: 0,
      updatedAt: 0,
    };
    const state = {
      getShard: async () => shard,
      advanceShard: async () => true,
      getRun: async () => null,
      listShards: async () => [shard],
      startShard: async () => undefined,
    } as unknown as StateStore;
    const row = (id: string): FillRow => ({
      fill_id: id,
      source: 'subgraph',
      exchange: id,
      block_number: 0,
      log_index: 0,
      timestamp: 1,
      transaction_hash: id,
      order_hash: id,
      maker: id,
      taker: id,
      maker_asset_id: '0',
      taker_asset_id: '1',
      maker_amount_filled: '1',
      taker_amount_filled: '1',
      fee: '0',
      token_id: '1',
      side: 'BUY',
      usdc_amount: '1',
      token_amount: '1',
      price: 1,
    });
    const source = {
      name: 'subgraph',
      specSchema: { safeParse: (v: unknown) => ({ success: true, data: v }) },
      cursorSchema: { safeParse: (v: unknown) => ({ success: true, data: v }) },
      plan: async () => ({ shards: [], target: null }),
      fetchPage: async () => ({ records: pathy.map((id) => ({ table: 'fills' as const, row: row(id) })), next: null }),
    } as unknown as AnySource;
    const outcome = await fetchShard(
      {
        state,
        blobs: { put: async (key: string) => (puts.push(key), { etag: 'e' }), get: async () => ({}) as never, exists: async () => false },
        shardQueue: { send: async () => undefined },
        sources: { subgraph: source },
        pagesPerObject: 1,
      },
      message,
      () => 900_000,
    );
    expect(outcome).toBe('done');
    expect(puts).toEqual([`staged/${message.runId}/subgraph/${message.shardId}/000000.ndjson.gz`]);
  });

  it('accepts only messages whose ids make a well-formed key, and every such key parses back to itself', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.constantFrom(...SOURCE_NAMES, 'evil', '../x'), fc.nat(999_999), (runId, shardId, source, seq) => {
        const parsed = shardMessageSchema.safeParse({ runId, shardId, source, spec: {} });
        if (!parsed.success) return;
        const key = stagedKey({ ...parsed.data, seq });
        expect(key).toMatch(/^staged\/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}\/[a-z]+\/[0-9]{5}\/[0-9]{6}\.ndjson\.gz$/);
        expect(parseStagedKey(key)).toEqual({ runId: parsed.data.runId, source: parsed.data.source, shardId: parsed.data.shardId, seq });
      }),
      { numRuns: 500 },
    );
    for (const bad of pathy) expect(shardMessageSchema.safeParse({ ...message, runId: bad }).success).toBe(false);
    for (const bad of pathy) expect(shardMessageSchema.safeParse({ ...message, shardId: bad }).success).toBe(false);
  });

  it('makes the loader refuse any key that is not a staged key, before reading it', async () => {
    let reads = 0;
    const deps = {
      state: {} as StateStore,
      blobs: { get: async () => (reads++, {}) as never, put: async () => ({ etag: '' }), exists: async () => false },
      client: {} as never,
      database: 'x',
    };
    for (const key of [
      ...pathy,
      `staged/${message.runId}/subgraph/00007/000000.ndjson.gz/../../other`,
      'staged/20260101T000000Z-abcdef/evil/00007/000000.ndjson.gz',
    ]) {
      await expect(loadObject(deps, key)).rejects.toMatchObject({ name: expect.stringMatching(/PoisonMessageError|URIError/) });
    }
    expect(reads).toBe(0);
  });
});
