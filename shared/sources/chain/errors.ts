import { parseRetryAfter } from '#shared/retry.ts';
/**
 * Recognises what an Ethereum JSON-RPC provider meant by a failure, from the
 * viem error chain (HTTP status, headers, JSON-RPC code, message and data).
 *
 * - `range`: the provider refused this eth_getLogs range as too big (result
 *   count, block span, response size, server-side query timeout, HTTP 413).
 *   The caller splits the range; retrying it as is would fail again. When the
 *   provider names a range that works, or its span/result cap, we keep it.
 * - `transient`: rate limits (HTTP 429, JSON-RPC 429/-32005 rate wording),
 *   5xx, timeouts, dropped connections: retry with backoff, honouring Retry-After.
 * - `fatal`: anything else (bad params, auth, method missing): retrying is useless.
 */
export type RpcFailure =
  | {
      kind: 'range';
      reason: string;
      /** What the provider capped: blocks per request, results, query time or response size. */
      limit: 'span' | 'results' | 'time' | 'size';
      /** A range the provider says will work, e.g. Alchemy's "[0x…, 0x…]" or Infura's data {from, to}. */
      suggested?: { from: bigint; to: bigint };
      /** The provider's block-span cap when its message states one. */
      maxSpan?: number;
      /** The provider's result-count cap when its message states one. */
      maxResults?: number;
    }
  | { kind: 'transient'; reason: string; rateLimited: boolean; timeout: boolean; retryAfterMs?: number }
  | { kind: 'fatal'; reason: string };

interface ErrorFacts {
  status?: number;
  code?: number;
  headers?: Headers;
  texts: string[];
  data: unknown[];
  names: string[];
}

function collect(err: unknown): ErrorFacts {
  const facts: ErrorFacts = { texts: [], data: [], names: [] };
  const seen = new Set<unknown>();
  let e: unknown = err;
  for (let depth = 0; e !== null && e !== undefined && depth < 12 && !seen.has(e); depth++) {
    seen.add(e);
    if (typeof e !== 'object') {
      facts.texts.push(String(e));
      break;
    }
    const o = e as Record<string, unknown>;
    if (typeof o.status === 'number' && facts.status === undefined) facts.status = o.status;
    if (typeof o.code === 'number' && facts.code === undefined) facts.code = o.code;
    if (typeof o.code === 'string') facts.texts.push(o.code);
    if (o.headers instanceof Headers && facts.headers === undefined) facts.headers = o.headers;
    for (const k of ['details', 'shortMessage', 'message'] as const) {
      if (typeof o[k] === 'string') facts.texts.push(o[k]);
    }
    if (typeof o.name === 'string') facts.names.push(o.name);
    if (o.data !== undefined) facts.data.push(o.data);
    if (o.body !== undefined && typeof o.body === 'object') {
      // viem's HttpRequestError keeps the request body, not the response: ignore it.
    }
    e = o.cause;
  }
  return facts;
}

/** The first HTTP status in a viem error's chain, if any. */
export const httpStatusOf = (err: unknown): number | undefined => collect(err).status;

/** One attempt's failure, for the retry loop to judge; it becomes an RpcCallError when the loop gives up. */
export class AttemptFailed extends Error {
  override name = 'AttemptFailed';
  constructor(
    readonly failure: RpcFailure,
    override readonly cause: unknown,
  ) {
    super(failure.reason, { cause });
  }
}

export { parseRetryAfter } from '#shared/retry.ts';

const RESULT_CAP_PATTERNS: RegExp[] = [
  /query returned more than ([\d,]+) results/i, // Infura, Polygon bor, geth-based
  /log response size exceeded/i, // Alchemy
  /logs? matched by query exceeds limit of ([\d,]+)/i, // Erigon-family
  /response size (?:should not|exceed)/i, // BSC / Ankr style
  /(?:too many|more than ([\d,]+)) (?:results|logs)/i,
  /result(?:s)? (?:limit|size) exceeded/i,
  /exceeds? (?:the )?max(?:imum)? (?:number of )?(?:results|logs)(?: of| limit| limit of)? ?([\d,]+)?/i,
];

const SPAN_CAP_PATTERNS: RegExp[] = [
  /eth_getLogs requests with up to a ([\d,]+)(k?) block range/i, // Alchemy free tier
  /eth_getLogs (?:and eth_newFilter )?(?:are|is) limited to (?:a )?([\d,]+) (?:block )?range/i, // QuickNode
  /limited to (?:a )?([\d,]+)[ -]blocks? range/i,
  /block range is too (?:wide|large)/i, // public nodes
  /exceed(?:s|ed)? (?:the )?max(?:imum)? block range:? ?([\d,]+)?/i, // BSC/Ankr "exceed maximum block range: 50000"
  /range is too large, max is ([\d,]+)(k?) blocks/i,
  /block range (?:too large|exceeds|is larger than)(?:[^\d]*([\d,]+))?/i,
  /maximum (?:block )?range (?:is|of) ([\d,]+)/i,
  /requested too many blocks from \d+ to \d+, maximum is set to ([\d,]+)/i, // Nethermind/Chainstack
  /(?:query|block range|range) exceeds? (?:max(?:imum)? )?(?:block )?(?:range|span) (?:limit )?(?:of )?([\d,]+)?/i,
  /max(?:imum)? (?:allowed )?block range(?: is| of)? ?([\d,]+)?/i,
];

const SLOW_QUERY_PATTERNS: RegExp[] = [/query timeout exceeded/i, /statement timeout/i, /execution (?:aborted|timeout)/i];

const RATE_PATTERNS: RegExp[] = [
  /rate limit/i,
  /too many requests/i,
  /request rate exceeded/i,
  /exceeded (?:its |your )?(?:compute units|throughput|capacity|request)/i,
  /capacity exceeded/i,
  /throttl/i,
];

const TRANSIENT_TEXT: RegExp[] = [
  /fetch failed/i,
  /socket hang up/i,
  /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|UND_ERR/i,
  /other side closed/i,
  /terminated/i,
  /network error/i,
  /header not found/i, // node lagging behind its own head
  /timed? ?out/i,
  /temporarily unavailable/i,
  /service unavailable/i,
  /bad gateway/i,
  /internal (?:server )?error/i,
];

function num(s: string | undefined, k?: string): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s.replace(/,/g, ''));
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return k && k.toLowerCase() === 'k' ? n * 1000 : n;
}

function suggestedRange(texts: string[], data: unknown[]): { from: bigint; to: bigint } | undefined {
  for (const t of texts) {
    const m = /\[\s*(0x[0-9a-fA-F]+)\s*,\s*(0x[0-9a-fA-F]+)\s*\]/.exec(t);
    if (m && m[1] && m[2]) return { from: BigInt(m[1]), to: BigInt(m[2]) };
  }
  for (const d of data) {
    if (d && typeof d === 'object') {
      const o = d as Record<string, unknown>;
      if (typeof o.from === 'string' && typeof o.to === 'string' && /^0x[0-9a-f]+$/i.test(o.from) && /^0x[0-9a-f]+$/i.test(o.to)) {
        return { from: BigInt(o.from), to: BigInt(o.to) };
      }
    }
  }
  return undefined;
}

export function classifyRpcError(err: unknown): RpcFailure {
  const f = collect(err);
  const text = f.texts.join(' | ');
  const reason = (f.texts.find((t) => t.length > 0 && !/^(RPC Request failed\.|HTTP request failed\.)$/.test(t)) ?? text ?? 'unknown error').slice(0, 300);

  // Range refusals first: Infura sends "more than 10000 results" as -32005,
  // the same code it uses for rate limits.
  for (const p of RESULT_CAP_PATTERNS) {
    const m = p.exec(text);
    if (m) {
      const out: RpcFailure = { kind: 'range', reason, limit: 'results' };
      const cap = num(m[1]);
      if (cap !== undefined) out.maxResults = cap;
      const sug = suggestedRange(f.texts, f.data);
      if (sug) out.suggested = sug;
      return out;
    }
  }
  for (const p of SPAN_CAP_PATTERNS) {
    const m = p.exec(text);
    if (m) {
      const out: RpcFailure = { kind: 'range', reason, limit: 'span' };
      const cap = num(m[1], m[2]);
      if (cap !== undefined) out.maxSpan = cap;
      const sug = suggestedRange(f.texts, f.data);
      if (sug) out.suggested = sug;
      return out;
    }
  }
  if (SLOW_QUERY_PATTERNS.some((p) => p.test(text))) return { kind: 'range', reason, limit: 'time' };
  if (f.status === 413) return { kind: 'range', reason: `HTTP 413 ${reason}`, limit: 'size' };

  const retryAfterMs = parseRetryAfter(f.headers?.get('retry-after'));
  const withRetryAfter = <T extends RpcFailure & { kind: 'transient' }>(x: T): T => {
    if (retryAfterMs !== undefined) x.retryAfterMs = retryAfterMs;
    return x;
  };
  if (f.status === 429 || f.code === 429 || RATE_PATTERNS.some((p) => p.test(text))) {
    return withRetryAfter({ kind: 'transient', reason, rateLimited: true, timeout: false });
  }
  const timeout = f.names.includes('TimeoutError') || /took too long|timed out|timeout/i.test(text);
  if (timeout) return withRetryAfter({ kind: 'transient', reason, rateLimited: false, timeout: true });
  if (f.status !== undefined && (f.status === 408 || f.status >= 500)) {
    return withRetryAfter({ kind: 'transient', reason, rateLimited: false, timeout: false });
  }
  // JSON-RPC server-side errors that are usually momentary.
  if (f.code === -32603 || f.code === -32000 || f.code === -32005 || f.code === -32002) {
    if (TRANSIENT_TEXT.some((p) => p.test(text)) || f.code === -32005 || f.code === -32002) {
      return withRetryAfter({ kind: 'transient', reason, rateLimited: false, timeout: false });
    }
  }
  if (f.status === undefined && f.code === undefined && TRANSIENT_TEXT.some((p) => p.test(text))) {
    return withRetryAfter({ kind: 'transient', reason, rateLimited: false, timeout: false });
  }
  if (f.names.includes('HttpRequestError') && f.status === undefined) {
    // No response at all (connection refused/reset): the network, not the request.
    return { kind: 'transient', reason, rateLimited: false, timeout: false };
  }
  if (f.code === -32603 && f.status === undefined) return { kind: 'transient', reason, rateLimited: false, timeout: false };
  return { kind: 'fatal', reason };
}
