import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { serverClient } from '#adapters/clickhouse/client.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { encodeStaged } from '#shared/staging/codec.ts';
import { sampleFill } from '#test/support/fills.ts';
import { startClickHouseHttpFront, type ClickHouseHttpFront } from '#test/support/clickhouse-http-front.ts';

/**
 * The test front speaks ClickHouse's HTTP interface well enough that what
 * the loader relies on behaves as on a server: a request's settings end with
 * it, an insert is one insert with one token, errors reach @clickhouse/client
 * as its ClickHouseError with the server's code, and auth and gzip work.
 */
const USER = 'loader';
const PASSWORD = 'front-password';

describe('the ClickHouse HTTP front over chDB', () => {
  let embedded: ClickHouseClient;
  let front: ClickHouseHttpFront;
  let client: ClickHouseClient;
  const opened: ClickHouseClient[] = [];
  const db = 'front';

  /** A client of the front; the failures below are expected, so it does not log them. */
  const clientWith = (config: Parameters<typeof createClient>[0] = {}) => {
    const c = createClient({ url: front.url, username: USER, password: PASSWORD, log: { level: ClickHouseLogLevel.OFF }, ...config });
    opened.push(c);
    return c;
  };
  const rows = async <T>(c: ClickHouseClient, query: string, query_params?: Record<string, unknown>) =>
    (await (await c.query({ query, query_params, format: 'JSONEachRow' })).json()) as T[];
  const count = async (table: string) => Number((await rows<{ n: string }>(client, `SELECT count() AS n FROM ${db}.${table}`))[0]!.n);
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClickHouseError);
    return err as ClickHouseError;
  };
  const url = (query: string, extra = '') => `${front.url}/?query=${encodeURIComponent(query)}${extra}`;
  /** The bytes as sent: fetch would undo a gzip body before the test saw it. */
  const rawPost = (target: string, headers: Record<string, string>) =>
    new Promise<{ status: number; encoding: string | undefined; body: Buffer }>((ok, fail) => {
      const req = request(target, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end();
    });
  const basic = { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };

  let engineDir: string;
  beforeAll(async () => {
    engineDir = mkdtempSync(join(tmpdir(), 'pmsync-front-'));
    embedded = embeddedClient(engineDir);
    front = await startClickHouseHttpFront({ client: embedded, user: USER, password: PASSWORD });
    client = serverClient({ url: front.url, username: USER, password: PASSWORD });
    await migrate(client, db);
    await client.command({
      query: `CREATE TABLE ${db}.dedup (x UInt32) ENGINE = MergeTree ORDER BY x SETTINGS non_replicated_deduplication_window = 100`,
    });
  });
  afterAll(async () => {
    for (const c of opened) await c.close();
    await client?.close();
    await front?.close();
    await embedded?.close();
  });

  it("spools insert bodies beside the engine's data, so they go with it even if the process ends without close()", () => {
    expect(readdirSync(engineDir).filter((name) => name.startsWith('http-front-spool-'))).toHaveLength(1);
  });

  it('answers GET /ping with Ok. and the client ping', async () => {
    const res = await fetch(`${front.url}/ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Ok.\n');
    expect(await client.ping()).toEqual({ success: true });
  });

  it("applies an insert's deduplication token to that request only", async () => {
    const insert = (values: number[], token?: string) =>
      client.insert({
        table: `${db}.dedup`,
        values: values.map((x) => ({ x })),
        format: 'JSONEachRow',
        clickhouse_settings: token === undefined ? { insert_deduplicate: 1 } : { insert_deduplicate: 1, insert_deduplication_token: token },
      });
    await insert([1, 2], 't1');
    await insert([1, 2], 't1');
    expect(await count('dedup')).toBe(2);
    await insert([1, 2], 't2');
    expect(await count('dedup')).toBe(4);
    // Had t1 outlived its request, these new rows would be dropped as its duplicate.
    await insert([3], 't1');
    expect(await count('dedup')).toBe(4);
    await insert([3]);
    expect(await count('dedup')).toBe(5);
    expect(await rows(client, "SELECT getSetting('insert_deduplication_token') AS token")).toEqual([{ token: '' }]);
  });

  it('takes a staged object as one insert per part, each with its own token, and a retried load adds nothing', async () => {
    const body = encodeStaged(Array.from({ length: 2_500 }, (_, i) => ({ table: 'fills' as const, row: sampleFill(i) })));
    const object = () => ({ key: 'staged/front', etag: 'e1', body: Readable.from([body]) });
    const before = front.requests.length;
    await loadStagedObject(client, db, object(), { maxRowsPerInsert: 1_000 });
    await loadStagedObject(client, db, object(), { maxRowsPerInsert: 1_000 });
    expect(await count('fills')).toBe(2_500);
    const inserts = front.requests.slice(before).filter((r) => r.statement === `INSERT INTO ${db}.fills FORMAT JSONEachRow`);
    // Two parts of a load may be in flight at once, so each load's parts are compared by token, not by arrival.
    const byToken = (rs: typeof inserts) =>
      rs.map((r) => ({ token: r.settings.insert_deduplication_token, status: r.status })).sort((a, b) => String(a.token).localeCompare(String(b.token)));
    const parts = ['0', '1', '2'].map((p) => ({ token: `staged/front:e1:fills:${p}`, status: 200 }));
    expect(inserts).toHaveLength(6);
    expect(byToken(inserts.slice(0, 3))).toEqual(parts);
    expect(byToken(inserts.slice(3))).toEqual(parts);
    const written = new Map(inserts.slice(0, 3).map((r) => [r.settings.insert_deduplication_token, r.writtenRows]));
    expect(Object.fromEntries(written)).toEqual({ 'staged/front:e1:fills:0': 1_000, 'staged/front:e1:fills:1': 1_000, 'staged/front:e1:fills:2': 500 });
    const [active] = await rows<{ n: string }>(
      client,
      'SELECT count() AS n FROM system.parts WHERE database = {db:String} AND table = {table:String} AND active',
      { db, table: 'fills' },
    );
    expect(Number(active!.n)).toBeGreaterThanOrEqual(3);
  });

  it('reports what an insert wrote in X-ClickHouse-Summary, with the query id', async () => {
    const res = await client.insert({ table: `${db}.dedup`, values: [{ x: 10 }, { x: 11 }], format: 'JSONEachRow', query_id: 'front-summary' });
    expect(res.query_id).toBe('front-summary');
    expect(res.summary?.written_rows).toBe('2');
    expect(res.response_headers['x-clickhouse-query-id']).toBe('front-summary');
  });

  it('binds param_* as the server does, arrays and strings with escapes included', async () => {
    const result = await rows(client, 'SELECT {xs:Array(String)} AS xs, {s:String} AS s, {n:UInt64} AS n', { xs: ["a'b", 'c\\d'], s: 'tab\there', n: 7 });
    expect(result).toEqual([{ xs: ["a'b", 'c\\d'], s: 'tab\there', n: '7' }]);
  });

  it('keeps a session_id session across requests, and nothing of it leaks to requests without one', async () => {
    const session = clientWith({ session_id: 'front-session' });
    await session.command({ query: 'CREATE TEMPORARY TABLE scratch (x UInt8)' });
    await session.command({ query: 'INSERT INTO scratch VALUES (1), (2)' });
    expect(await rows(session, 'SELECT toUInt8(count()) AS n FROM scratch')).toEqual([{ n: 2 }]);
    expect((await failure(rows(clientWith(), 'SELECT count() AS n FROM scratch'))).code).toBe('60');
  });

  it("hands errors to @clickhouse/client as its ClickHouseError with the server's code and type", async () => {
    const c = clientWith();
    const unknown = await failure(c.query({ query: `SELECT * FROM ${db}.nope` }));
    expect([unknown.code, unknown.type]).toEqual(['60', 'UNKNOWN_TABLE']);
    const syntax = await failure(c.command({ query: 'SELEC 1' }));
    expect([syntax.code, syntax.type]).toEqual(['62', 'SYNTAX_ERROR']);
    const several = await failure(c.command({ query: 'SELECT 1; SELECT 2' }));
    expect([several.code, several.message]).toEqual(['62', 'Multi-statements are not allowed. ']);
    const data = await failure(c.exec({ query: `INSERT INTO ${db}.dedup FORMAT JSONEachRow`, values: Readable.from(['{"x":"not a number"}\n']) }));
    expect(data.type).toMatch(/^CANNOT_PARSE/);
  });

  it('sends the status, X-ClickHouse-Exception-Code and Code: N. DB::Exception text the server sends', async () => {
    const unknown = await fetch(url(`SELECT * FROM ${db}.nope`), { method: 'POST', headers: basic });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-clickhouse-exception-code')).toBe('60');
    expect(await unknown.text()).toMatch(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\) \(version [\d.]+\)\n$/s);
    const syntax = await fetch(url('SELEC 1'), { method: 'POST', headers: basic });
    expect([syntax.status, syntax.headers.get('x-clickhouse-exception-code')]).toEqual([400, '62']);
    // A GET may only read (readonly = 2).
    const write = await fetch(url(`INSERT INTO ${db}.dedup VALUES (99)`), { headers: basic });
    expect([write.status, write.headers.get('x-clickhouse-exception-code')]).toEqual([500, '164']);
  });

  it('refuses a wrong password with code 516, as a server answers it (HTTP 403)', async () => {
    const wrong = clientWith({ password: 'not-the-password' });
    const err = await failure(wrong.query({ query: 'SELECT 1' }));
    expect([err.code, err.type]).toEqual(['516', 'AUTHENTICATION_FAILED']);
    expect(await wrong.ping()).toMatchObject({ success: true });
    const res = await fetch(url('SELECT 1'), { headers: { 'X-ClickHouse-User': USER, 'X-ClickHouse-Key': 'nope' } });
    expect([res.status, res.headers.get('x-clickhouse-exception-code')]).toEqual([403, '516']);
    expect(await res.text()).toMatch(/^Code: 516\. DB::Exception: loader: Authentication failed: .*\(AUTHENTICATION_FAILED\)/);
  });

  it('takes the X-ClickHouse-User and X-ClickHouse-Key headers, and refuses two ways of authenticating at once', async () => {
    const headers = { 'X-ClickHouse-User': USER, 'X-ClickHouse-Key': PASSWORD };
    const ok = await fetch(url('SELECT 1 AS one FORMAT JSONEachRow'), { headers });
    expect([ok.status, await ok.text(), ok.headers.get('x-clickhouse-format')]).toEqual([200, '{"one":1}\n', 'JSONEachRow']);
    const both = await fetch(url('SELECT 1'), { headers: { ...headers, ...basic } });
    expect([both.status, both.headers.get('x-clickhouse-exception-code')]).toEqual([403, '516']);
  });

  it('reads gzip request bodies and gzips responses only when asked to', async () => {
    const gzip = clientWith({ compression: { request: true, response: true } });
    await gzip.insert({ table: `${db}.dedup`, values: [{ x: 1000 }, { x: 1001 }], format: 'JSONEachRow' });
    expect(await rows(gzip, `SELECT x FROM ${db}.dedup WHERE x >= 1000 ORDER BY x`)).toEqual([{ x: 1000 }, { x: 1001 }]);
    const gzipAccepted = { ...basic, 'Accept-Encoding': 'gzip' };
    const asked = await rawPost(url('SELECT 42 AS n FORMAT JSONEachRow', '&enable_http_compression=1'), gzipAccepted);
    expect([asked.status, asked.encoding, gunzipSync(asked.body).toString()]).toEqual([200, 'gzip', '{"n":42}\n']);
    const notAsked = await rawPost(url('SELECT 42 AS n FORMAT JSONEachRow'), gzipAccepted);
    expect([notAsked.status, notAsked.encoding, notAsked.body.toString()]).toEqual([200, undefined, '{"n":42}\n']);
    const failed = await rawPost(url(`SELECT * FROM ${db}.nope`, '&enable_http_compression=1'), gzipAccepted);
    expect([failed.status, failed.encoding]).toEqual([404, 'gzip']);
    expect(gunzipSync(failed.body).toString()).toMatch(/^Code: 60\. DB::Exception:/);
  });
});
