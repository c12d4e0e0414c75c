import { hostOf } from '#shared/sources/source-error.ts';

/**
 * What an error and everything it wraps say about a failure: the system
 * codes (ECONNREFUSED, ENOTFOUND, ENOSPC, CERT_…), HTTP statuses, error
 * names, messages and the hosts of any URLs the layers name. Errors from the
 * sources arrive wrapped several times (ky HTTPError, TypeError('fetch
 * failed') around a socket error, viem's HttpRequestError, the chain
 * source's RpcCallError, @clickhouse/client's ClickHouseError), so the whole
 * `cause` chain is read, and AggregateError's members too.
 */
export interface ErrorFacts {
  codes: string[];
  statuses: number[];
  names: string[];
  messages: string[];
  hosts: string[];
  /** The chain source's judgement of an RPC failure (range, transient, fatal), when one is in the chain. */
  rpcFailureKinds: string[];
}

export function errorFacts(err: unknown): ErrorFacts {
  const facts: ErrorFacts = { codes: [], statuses: [], names: [], messages: [], hosts: [], rpcFailureKinds: [] };
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (e === null || e === undefined || depth > 12 || seen.has(e)) return;
    seen.add(e);
    if (typeof e !== 'object') {
      facts.messages.push(String(e));
      return;
    }
    const o = e as Record<string, unknown>;
    if (typeof o.code === 'string' || typeof o.code === 'number') facts.codes.push(String(o.code));
    if (typeof o.status === 'number') facts.statuses.push(o.status);
    const response = o.response as { status?: unknown } | undefined;
    if (response && typeof response.status === 'number') facts.statuses.push(response.status);
    if (typeof o.name === 'string') facts.names.push(o.name);
    if (typeof o.message === 'string') facts.messages.push(o.message);
    if (typeof o.details === 'string') facts.messages.push(o.details);
    // A DNS or connection failure names its host (Node's system errors), where no URL is at hand (the AWS SDK's).
    if (typeof o.hostname === 'string' && o.hostname) facts.hosts.push(o.hostname);
    const request = o.request as { url?: unknown } | undefined;
    for (const url of [o.url, request?.url]) {
      const host = typeof url === 'string' ? hostOf(url) : '';
      if (host) facts.hosts.push(host);
    }
    const failure = o.failure as { kind?: unknown } | undefined;
    if (failure && typeof failure.kind === 'string') facts.rpcFailureKinds.push(failure.kind);
    if (Array.isArray(o.errors)) for (const inner of o.errors) visit(inner, depth + 1);
    visit(o.cause, depth + 1);
  };
  visit(err, 0);
  return facts;
}

export type FailureCause =
  | 'dns'
  | 'bad-port'
  | 'refused'
  | 'reset'
  | 'timeout'
  | 'tls'
  | 'unauthorized'
  | 'forbidden'
  | 'rate-limited'
  | 'range-refused'
  | 'auth-failed'
  | 'disk-full'
  | 'permission'
  | 'server-error';

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|EPROTO$|HOSTNAME_MISMATCH)/;

/** The cause of a failure in a few words' worth of category, most specific first; undefined when nothing is recognised. */
export function failureCause(f: ErrorFacts): FailureCause | undefined {
  const has = (...codes: string[]) => f.codes.some((c) => codes.includes(c));
  const said = (re: RegExp) => f.messages.some((m) => re.test(m));
  // SQLite (the local queues' store) words a write that found no space as SQLITE_FULL, "database or disk is full" (https://www.sqlite.org/rescode.html#full).
  if (has('ENOSPC', 'SQLITE_FULL') || said(/no space left on device|database or disk is full/i)) return 'disk-full';
  if (has('516') || said(/Authentication failed|password is incorrect|AUTHENTICATION_FAILED/i)) return 'auth-failed';
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME') || said(/getaddrinfo (ENOTFOUND|EAI_AGAIN)/)) return 'dns';
  if (has('ECONNREFUSED') || said(/ECONNREFUSED/)) return 'refused';
  // fetch refuses the ports browsers block (1-1023 mostly: 9, 25, 110, ...) without connecting.
  if (said(/^bad port$/)) return 'bad-port';
  if (f.codes.some((c) => TLS_CODES.test(c)) || said(/certificate|SSL routines|TLS/i)) return 'tls';
  if (f.rpcFailureKinds.includes('range')) return 'range-refused';
  if (f.statuses.includes(401)) return 'unauthorized';
  if (f.statuses.includes(403)) return 'forbidden';
  if (f.statuses.includes(429) || said(/rate limit|too many requests/i)) return 'rate-limited';
  if (has('ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT') || f.names.includes('TimeoutError') || said(/timed? ?out/i)) return 'timeout';
  if (has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET') || said(/socket hang up|other side closed/i)) return 'reset';
  if (has('EACCES', 'EPERM', 'EROFS')) return 'permission';
  if (f.statuses.some((s) => s >= 500)) return 'server-error';
  return undefined;
}
