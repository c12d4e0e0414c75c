/**
 * The parts of ClickHouse's HTTP interface that are rules rather than plumbing:
 * which URL parameters are settings, how a request authenticates, how the
 * query text and the insert's data are told apart, and which HTTP status an
 * exception code gets. Sources, read rather than copied:
 * - https://clickhouse.com/docs/interfaces/http (query in the URL or the body,
 *   `param_*`, settings as URL parameters, `database`, `default_format`,
 *   `session_id`, compression, the X-ClickHouse-* headers, errors as text)
 * - ClickHouse/ClickHouse src/Server/HTTP/exceptionCodeToHTTPStatus.cpp (the status table below)
 * - ClickHouse/ClickHouse src/Server/HTTPHandler.cpp (the reserved parameter names, the query
 *   parameter joined to the body with a line break, GET requests run with readonly = 2)
 */
import type { IncomingMessage } from 'node:http';
import { sqlString } from '#adapters/clickhouse/sql-literal.ts';

/** URL parameters the HTTP layer reads itself; every other one, except `param_*`, is a setting. */
const RESERVED_PARAMETERS = new Set([
  'query',
  'compress',
  'decompress',
  'user',
  'password',
  'quota_key',
  'query_id',
  'stacktrace',
  'role',
  'buffer_size',
  'wait_end_of_query',
  'session_id',
  'session_timeout',
  'session_check',
  'client_protocol_version',
  'close_session',
  'database',
  'default_format',
]);

export interface ParsedRequest {
  settings: Record<string, string>;
  queryParams: Record<string, string>;
  queryInUrl: string | undefined;
  queryId: string | undefined;
  database: string | undefined;
  defaultFormat: string | undefined;
  sessionId: string | undefined;
  /** `compress` / `decompress`: ClickHouse's own block compression, which this front does not speak. */
  nativeCompression: boolean;
}

export function parseRequestUrl(url: URL, headers: IncomingMessage['headers']): ParsedRequest {
  const settings: Record<string, string> = {};
  const queryParams: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (name.startsWith('param_')) queryParams[name.slice('param_'.length)] = value;
    else if (!RESERVED_PARAMETERS.has(name)) settings[name] = value;
  }
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  return {
    settings,
    queryParams,
    queryInUrl: param('query'),
    queryId: param('query_id'),
    database: param('database') ?? header('x-clickhouse-database'),
    defaultFormat: param('default_format') ?? header('x-clickhouse-format'),
    sessionId: param('session_id'),
    nativeCompression: param('compress') === '1' || param('decompress') === '1',
  };
}

/** An exception as the engine words it: `Code: N. DB::Exception: <message>. (TYPE)`. */
export class ServerException extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(`Code: ${code}. DB::Exception: ${message}. (${type})`);
  }
}

export type Credentials = { user: string; password: string };

/**
 * The three ways a client names itself: HTTP basic auth, the X-ClickHouse-User
 * / X-ClickHouse-Key headers, or `user` / `password` in the URL. Using two at
 * once is refused, as the server refuses it; none at all is the `default` user.
 */
export function credentialsOf(url: URL, headers: IncomingMessage['headers']): Credentials {
  const methods: Array<[string, Credentials]> = [];
  const authorization = headers.authorization;
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    methods.push(['Authorization HTTP header', { user: decodeURIComponent(decoded.slice(0, colon)), password: decoded.slice(colon + 1) }]);
  }
  const headerUser = headers['x-clickhouse-user'];
  if (typeof headerUser === 'string') methods.push(['X-ClickHouse HTTP headers', { user: headerUser, password: String(headers['x-clickhouse-key'] ?? '') }]);
  const paramUser = url.searchParams.get('user');
  if (paramUser !== null) methods.push(['authentication via parameters', { user: paramUser, password: url.searchParams.get('password') ?? '' }]);
  if (methods.length > 1)
    throw new ServerException(
      516,
      'AUTHENTICATION_FAILED',
      `Invalid authentication: it is not allowed to use ${methods[0]![0]} and ${methods[1]![0]} simultaneously`,
    );
  return methods[0]?.[1] ?? { user: 'default', password: '' };
}

export function authenticationFailed(user: string): ServerException {
  return new ServerException(516, 'AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name`);
}

/** The HTTP status the server answers an exception code with (exceptionCodeToHTTPStatus.cpp). */
export function httpStatusOf(code: number): number {
  if (code === 194) return 401; // REQUIRED_PASSWORD
  if ([192, 193, 516, 512, 497].includes(code)) return 403; // UNKNOWN_USER, WRONG_PASSWORD, AUTHENTICATION_FAILED, SET_NON_GRANTED_ROLE, ACCESS_DENIED
  if (BAD_REQUEST_CODES.has(code)) return 400;
  if (NOT_FOUND_CODES.has(code)) return 404;
  if (code === 229) return 413; // QUERY_IS_TOO_LARGE
  if (code === 48) return 501; // NOT_IMPLEMENTED
  if (code === 209 || code === 76 || code === 439) return 503; // SOCKET_TIMEOUT, CANNOT_OPEN_FILE, CANNOT_SCHEDULE_TASK
  if (code === 381) return 411; // HTTP_LENGTH_REQUIRED
  if (code === 159) return 408; // TIMEOUT_EXCEEDED
  if (code === 779) return 415; // UNSUPPORTED_MEDIA_TYPE
  return 500;
}

// BAD_ARGUMENTS, CANNOT_COMPILE_REGEXP, the CANNOT_PARSE_* family, DUPLICATE_COLUMN, ILLEGAL_COLUMN,
// UNKNOWN_ELEMENT_IN_AST, UNKNOWN_TYPE_OF_AST_NODE, THERE_IS_NO_COLUMN, TOO_DEEP_AST, TOO_BIG_AST,
// UNEXPECTED_AST_STRUCTURE, SYNTAX_ERROR, INCORRECT_DATA, TYPE_MISMATCH, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
const BAD_REQUEST_CODES = new Set([36, 427, 6, 25, 26, 38, 41, 72, 441, 675, 676, 376, 27, 15, 44, 37, 123, 8, 167, 168, 223, 62, 117, 53, 321]);
// UNKNOWN_TABLE, UNKNOWN_FUNCTION, UNKNOWN_IDENTIFIER, UNKNOWN_TYPE, UNKNOWN_STORAGE, UNKNOWN_DATABASE,
// UNKNOWN_SETTING, UNKNOWN_DIRECTION_OF_SORTING, UNKNOWN_AGGREGATE_FUNCTION, UNKNOWN_FORMAT,
// UNKNOWN_DATABASE_ENGINE, UNKNOWN_TYPE_OF_QUERY, UNKNOWN_ROLE
const NOT_FOUND_CODES = new Set([60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511]);

/** The engine's error text, `Code: N. DB::Exception: … (TYPE)`, taken apart. */
export function exceptionOf(err: unknown): ServerException {
  if (err instanceof ServerException) return err;
  const message = err instanceof Error ? err.message : String(err);
  const match = /^Code: (\d+)\. DB::Exception: ([\s\S]*?)\.? \(([A-Z0-9_]+)\)\s*$/.exec(message);
  if (match) return new ServerException(Number(match[1]), match[3]!, match[2]!);
  return new ServerException(1001, 'STD_EXCEPTION', message);
}

/** `INSERT INTO <table> [(columns)] [SETTINGS …] FORMAT <format>` followed by the data, as the server reads an insert with inline data. */
const INSERT_WITH_DATA = /^\s*INSERT\s+INTO\s+(?:TABLE\s+)?([A-Za-z_][A-Za-z0-9_.`]*)\s*(?:\(([A-Za-z0-9_,\s`]*)\))?\s+FORMAT\s+([A-Za-z]+)[ \t]*(?:\r?\n|$)/i;

export interface InsertWithData {
  table: string;
  columns: string[] | undefined;
  format: string;
  data: Buffer;
}

/** Splits `INSERT … FORMAT X\n<data>` into the statement and its data; null for any other query. */
export function insertWithData(text: Buffer): InsertWithData | null {
  const head = text.subarray(0, 4096).toString('utf8');
  const match = INSERT_WITH_DATA.exec(head);
  if (!match) return null;
  return {
    table: match[1]!.replace(/`/g, ''),
    columns: match[2]
      ?.split(',')
      .map((c) => c.trim().replace(/`/g, ''))
      .filter(Boolean),
    format: match[3]!,
    data: text.subarray(Buffer.byteLength(match[0], 'utf8')),
  };
}

/** The format a query's own FORMAT clause names, if it ends with one. */
export function formatClauseOf(query: string): string | undefined {
  return /\bFORMAT\s+([A-Za-z][A-Za-z0-9]*)\s*;?\s*$/i.exec(query)?.[1];
}

/**
 * The HTTP interface runs one statement per request ("Multi-statements are
 * not allowed"); chDB would run them all. Strings, quoted names and comments
 * are skipped so a `;` inside them does not count.
 */
export function hasSeveralStatements(query: string): boolean {
  const stripped = query.replace(/'(?:\\.|''|[^'\\])*'|"(?:\\.|""|[^"\\])*"|`(?:\\.|``|[^`\\])*`|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  const semicolon = stripped.indexOf(';');
  return semicolon >= 0 && stripped.slice(semicolon + 1).trim() !== '';
}

/** Settings (and `param_*` values) as the server takes them from a URL: text, parsed by the setting's or the placeholder's own type. */
export function setStatement(settings: Record<string, string>): string | null {
  const entries = Object.entries(settings);
  for (const [name] of entries) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ServerException(115, 'UNKNOWN_SETTING', `Unknown setting '${name}'`);
  if (entries.length === 0) return null;
  return `SET ${entries.map(([name, value]) => `${name} = ${sqlString(value)}`).join(', ')}`;
}

const CONTENT_TYPES: Record<string, string> = {
  JSONEachRow: 'application/x-ndjson; charset=UTF-8',
  JSON: 'application/json; charset=UTF-8',
  JSONCompact: 'application/json; charset=UTF-8',
  TabSeparated: 'text/tab-separated-values; charset=UTF-8',
  TSV: 'text/tab-separated-values; charset=UTF-8',
  CSV: 'text/csv; charset=UTF-8; header=absent',
};

export function contentTypeOf(format: string): string {
  return CONTENT_TYPES[format] ?? 'text/plain; charset=UTF-8';
}
