/**
 * ClickHouse's HTTP interface in front of chDB, for tests: `@clickhouse/client`'s
 * real HTTP transport (the loader's `serverClient`) talks to the same engine
 * a server runs, since no server binary can be installed here. Each request
 * gets a chDB session of its own, so its settings (an insert's
 * `insert_deduplication_token` above all) end with it, as a server's do;
 * requests that name a `session_id` share one, as on a server.
 *
 * What the client sends is read from @clickhouse/client 1.23
 * (client-node/src/connection/node_base_connection.ts and socket_pool.ts:
 * settings, `query_id`, `database` and `param_*` in the query string; the
 * query as the body, or in the URL with an insert's data as the body; basic
 * auth; `enable_http_compression` with `Accept-Encoding`; gzip bodies with
 * `Content-Encoding`; a failure is any non-2xx status or an
 * `X-ClickHouse-Exception-Code` header, its body parsed by `parseError`).
 * The rules it follows are in ./clickhouse-http-protocol.ts with their sources.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { Session } from 'chdb';
import { sqlIdentifier, sqlString } from '#adapters/clickhouse/sql-literal.ts';
import {
  ServerException,
  authenticationFailed,
  contentTypeOf,
  credentialsOf,
  exceptionOf,
  formatClauseOf,
  hasSeveralStatements,
  httpStatusOf,
  insertWithData,
  parseRequestUrl,
  setStatement,
  type ParsedRequest,
} from './clickhouse-http-protocol.ts';

export interface ClickHouseHttpFrontOptions {
  /** The embedded client (`embeddedClient`) whose engine to serve; its data directory is asked of the engine. */
  client?: ClickHouseClient;
  /** Or the directory given to `embeddedClient` (the engine lives in `<dataDir>/clickhouse`). */
  dataDir?: string;
  /** The one user the front knows; `default` unless given. */
  user?: string;
  /** That user's password; empty unless given. */
  password?: string;
}

/** One request as the front saw it, for tests that look at what went over the wire. */
export interface FrontRequest {
  method: string;
  queryId: string;
  /** The statement, without an insert's data. */
  statement: string;
  settings: Record<string, string>;
  status: number;
  exceptionCode?: number;
  /** Rows an insert wrote (the engine's count). */
  writtenRows?: number;
}

export interface ClickHouseHttpFront {
  /** `http://127.0.0.1:<port>`: give it to `serverClient` or `createClient`. */
  url: string;
  /** Every request answered so far, in order of answer. */
  requests: FrontRequest[];
  close(): Promise<void>;
}

const COMPRESSORS: Record<string, (body: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gzip),
  deflate: promisify(zlib.deflate),
  br: promisify(zlib.brotliCompress),
  zstd: promisify(zlib.zstdCompress),
};
const DECOMPRESSORS: Record<string, (body: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
  zstd: promisify(zlib.zstdDecompress),
};

/** Formats chDB's raw insert takes as bytes (chdb index.d.ts RawInsertFormat). */
const RAW_INSERT_FORMATS = new Set([
  'JSONEachRow',
  'JSONCompactEachRow',
  'CSV',
  'CSVWithNames',
  'TSV',
  'TabSeparated',
  'TSVWithNames',
  'TabSeparatedWithNames',
]);

export async function startClickHouseHttpFront(options: ClickHouseHttpFrontOptions): Promise<ClickHouseHttpFront> {
  const path = await enginePath(options);
  const user = options.user ?? 'default';
  const password = options.password ?? '';
  const probe = new Session(path);
  const version = (await probe.queryAsync('SELECT version()', { format: 'TabSeparated' })).text().trim();
  probe.close();
  const sessions = new Map<string, Session>();
  const requests: FrontRequest[] = [];
  // Beside the engine's own data, so it goes with it even when the process ends without close() (the bench's engine child).
  const spoolDir = mkdtempSync(join(dirname(path), 'http-front-spool-'));

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only a failure to write the answer lands here; the connection is all that is left to close.
      res.destroy(err as Error);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && url.search === '')) {
      await drain(req);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    const parsed = parseRequestUrl(url, req.headers);
    const queryId = parsed.queryId || randomUUID();
    const log: FrontRequest = { method: req.method ?? 'GET', queryId, statement: '', settings: parsed.settings, status: 200 };
    const encoding = parsed.settings.enable_http_compression === '1' ? acceptedEncoding(req.headers['accept-encoding']) : undefined;
    const common = {
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Server-Display-Name': 'chdb-http-front',
      'X-ClickHouse-Timezone': 'UTC',
      'Keep-Alive': 'timeout=10',
    };
    try {
      if (url.pathname !== '/') {
        await drain(req);
        throw new ServerException(
          0,
          'HTTP_NOT_FOUND',
          `There is no handle ${url.pathname}. Use / or /ping for health checks, and POST / or GET /?query=... for queries`,
        );
      }
      const given = credentialsOf(url, req.headers);
      if (given.user !== user || given.password !== password) {
        await drain(req);
        throw authenticationFailed(given.user);
      }
      if (parsed.nativeCompression)
        throw new ServerException(48, 'NOT_IMPLEMENTED', 'ClickHouse block compression (compress/decompress) is not supported by this front');
      const body = await readBody(req);
      const result = await execute(parsed, req.method === 'GET', body, log);
      const payload = encoding ? await COMPRESSORS[encoding]!(result.output) : result.output;
      res.writeHead(200, {
        ...common,
        'Content-Type': contentTypeOf(result.format),
        'X-ClickHouse-Format': result.format,
        'X-ClickHouse-Summary': JSON.stringify(result.summary),
        ...(encoding ? { 'Content-Encoding': encoding } : {}),
      });
      res.end(payload);
    } catch (err) {
      const exception = exceptionOf(err);
      log.status = exception.code === 0 ? 404 : httpStatusOf(exception.code);
      log.exceptionCode = exception.code;
      const text = Buffer.from(`${exception.message} (version ${version})\n`);
      res.writeHead(log.status, {
        ...common,
        'Content-Type': 'text/plain; charset=UTF-8',
        ...(exception.code === 0 ? {} : { 'X-ClickHouse-Exception-Code': String(exception.code) }),
        ...(encoding ? { 'Content-Encoding': encoding } : {}),
      });
      res.end(encoding ? await COMPRESSORS[encoding]!(text) : text);
    } finally {
      requests.push(log);
    }
  }

  async function execute(parsed: ParsedRequest, readOnly: boolean, body: Buffer, log: FrontRequest) {
    // The query parameter, a line break, then the body: one text, as HTTPHandler reads it.
    const text = parsed.queryInUrl === undefined ? body : Buffer.concat([Buffer.from(parsed.queryInUrl), ...(body.length ? [Buffer.from('\n'), body] : [])]);
    const insert = insertWithData(text);
    const statement = insert ? text.subarray(0, text.length - insert.data.length).toString('utf8') : text.toString('utf8');
    log.statement = statement.trim();
    if (log.statement === '') throw new ServerException(62, 'SYNTAX_ERROR', 'Empty query');
    if (!insert && hasSeveralStatements(statement)) throw new ServerException(62, 'SYNTAX_ERROR', 'Multi-statements are not allowed');
    const shared = parsed.sessionId === undefined ? undefined : sessions.get(parsed.sessionId);
    const session = shared ?? new Session(path);
    if (parsed.sessionId !== undefined && !shared) sessions.set(parsed.sessionId, session);
    const started = process.hrtime.bigint();
    try {
      if (parsed.database !== undefined) await session.queryAsync(`USE ${sqlIdentifier(parsed.database)}`);
      // Parameters go in as the text the client sent (`SET param_x`), parsed by the engine as a server parses
      // them; chDB's own binder would escape that text a second time.
      const params = Object.fromEntries(Object.entries(parsed.queryParams).map(([name, value]) => [`param_${name}`, value]));
      const set = setStatement({ ...parsed.settings, ...params });
      if (set) await session.queryAsync(set);
      // A GET may read and change settings, never write: readonly = 2 (HTTPHandler).
      if (readOnly) await session.queryAsync('SET readonly = 2');
      const elapsed = () => String(process.hrtime.bigint() - started);
      if (insert && RAW_INSERT_FORMATS.has(insert.format)) {
        // The whole insert is one statement with one token, as on a server; never split into chunks.
        const written = isBlank(insert.data) ? { rows: 0, bytes: 0 } : await insertFromFile(session, insert, spoolDir);
        log.writtenRows = written.rows;
        return {
          output: Buffer.alloc(0),
          format: insert.format,
          summary: summary({ written: written.rows, bytes: written.bytes, elapsed: elapsed() }),
        };
      }
      const format = formatClauseOf(statement) ?? parsed.defaultFormat ?? 'TabSeparated';
      const sql = text.toString('utf8');
      const result = await session.queryAsync(sql, { format });
      const output = Buffer.from(result.bytes());
      return { output, format, summary: summary({ read: result.rowsRead, readBytes: result.bytesRead, resultBytes: output.length, elapsed: elapsed() }) };
    } finally {
      if (!shared && parsed.sessionId === undefined) session.close();
    }
  }

  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok, fail) => server.close((err) => (err ? fail(err) : ok())));
      for (const session of sessions.values()) session.close();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

async function enginePath(options: ClickHouseHttpFrontOptions): Promise<string> {
  if (options.dataDir !== undefined) {
    const path = resolve(options.dataDir, 'clickhouse');
    mkdirSync(path, { recursive: true });
    return path;
  }
  if (!options.client) throw new Error('startClickHouseHttpFront needs a client or a dataDir');
  // chDB binds one data directory per process, and sessions at the same path share its engine.
  const res = await options.client.query({ query: "SELECT path FROM system.disks WHERE name = 'default'", format: 'JSONEachRow' });
  const [disk] = (await res.json()) as Array<{ path: string }>;
  if (!disk) throw new Error('the engine reports no default disk');
  return disk.path;
}

type InsertWithData = NonNullable<ReturnType<typeof insertWithData>>;

/**
 * A server parses an insert's body as it streams in, on several threads.
 * Handed to chDB as one value, the body is parsed as one piece on one
 * thread; read from a file (`FROM INFILE`), it is parsed in parallel, as a
 * server does. Same statement, session settings and token. The rows
 * reported written are the rows the engine read (the front's tables have no
 * materialized views), also for an insert its token drops as a retry, where
 * a server would report none: no caller reads the figure for a retry.
 */
async function insertFromFile(session: Session, insert: InsertWithData, spoolDir: string): Promise<{ rows: number; bytes: number }> {
  const file = join(spoolDir, `${randomUUID()}.body`);
  await writeFile(file, insert.data);
  try {
    const target = insert.table.split('.').map(sqlIdentifier).join('.');
    const columns = insert.columns?.length ? ` (${insert.columns.map(sqlIdentifier).join(', ')})` : '';
    const result = await session.queryAsync(`INSERT INTO ${target}${columns} FROM INFILE ${sqlString(file)} FORMAT ${insert.format}`);
    return { rows: result.rowsRead, bytes: result.bytesRead };
  } finally {
    await rm(file, { force: true });
  }
}

/** Whether a body holds nothing but whitespace (an insert of no rows), without decoding it. */
function isBlank(body: Buffer): boolean {
  for (const byte of body) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

function summary(s: { read?: number; readBytes?: number; written?: number; bytes?: number; resultBytes?: number; elapsed: string }) {
  const text = (n: number | undefined) => String(n ?? 0);
  return {
    read_rows: text(s.read ?? s.written),
    read_bytes: text(s.readBytes ?? s.bytes),
    written_rows: text(s.written),
    written_bytes: text(s.bytes),
    total_rows_to_read: '0',
    result_rows: text(s.written === undefined ? s.read : s.written),
    result_bytes: text(s.resultBytes),
    elapsed_ns: s.elapsed,
  };
}

/** The first encoding the client accepts that the server speaks (the server's order: gzip, deflate, br, zstd). */
function acceptedEncoding(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const accepted = header.split(',').map((e) => e.split(';')[0]!.trim().toLowerCase());
  return Object.keys(COMPRESSORS).find((e) => accepted.includes(e));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (!encoding || encoding === 'identity') return raw;
  const decompress = DECOMPRESSORS[encoding];
  if (!decompress) throw new ServerException(89, 'UNKNOWN_COMPRESSION_METHOD', `Unknown HTTP content encoding: ${encoding}`);
  try {
    return await decompress(raw);
  } catch (err) {
    throw new ServerException(117, 'INCORRECT_DATA', `Cannot decompress the ${encoding} request body: ${(err as Error).message}`);
  }
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) void _;
}
