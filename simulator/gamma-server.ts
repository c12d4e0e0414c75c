/**
 * A simulated Gamma market list over a live Dataset, with the paging rules
 * the real one enforces:
 * - `GET /markets/keyset?limit&closed&after_cursor` answers
 *   `{ markets, next_cursor }`; the last page has no `next_cursor`. It
 *   refuses `offset`, and a cursor only continues the query it came from.
 * - `GET /markets?limit&offset&closed` (deprecated, sunset 2026-05-01) answers
 *   a bare array and refuses deep offsets with 422.
 * - `closed` defaults to false, so a complete read asks for both values.
 * - `limit` is clamped to 100 without a word.
 * Sources: docs.polymarket.com/api-reference/markets/list-markets-keyset-pagination;
 * the `deprecation`/`sunset`/`warning: 299 - "use /markets/keyset"` headers and the
 * 422 "offset too large" body as reported in forecastingresearch/forecastbench#194,
 * sapiencexyz/sapience#1884 and nautechsystems/nautilus_trader#4086.
 *
 * Market fields follow Polymarket/rs-clob-client src/gamma/types/response.rs
 * (`Market`): `outcomes`, `outcomePrices` and `clobTokenIds` are JSON-encoded
 * strings. Which markets Gamma knows, and which tokens it gets wrong, come
 * from the dataset's list coverage (market-lists.ts); markets can also be
 * hidden by hand, rows can lie, and the fault hooks are the CLOB server's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dataset, SimMarket, SimToken } from './dataset.ts';
import { ListServing, sendJson, type ListCorruption, type ListServerControls, type ListServerOptions, type ListStats } from './list-server.ts';
import { listKnows, listTokens } from './market-lists.ts';

export const GAMMA_MAX_LIMIT = 100;
export const GAMMA_DEFAULT_LIMIT = 20;
/** Deepest offset the deprecated endpoint still serves (reports put the cap near 2,000). */
export const GAMMA_DEFAULT_MAX_OFFSET = 2000;

export type GammaCorruptionKind = 'clob-token-ids-not-json' | 'outcomes-length-mismatch' | 'missing-condition-id' | 'token-id-not-numeric';

export type GammaCorruption = ListCorruption<GammaCorruptionKind>;

/** pages: answered 200 on either endpoint. */
export interface GammaStats extends ListStats {
  /** Requests to the deprecated offset endpoint. */
  offsetRequests: number;
}

export interface GammaServerOptions extends ListServerOptions<GammaCorruptionKind> {
  dataset: Dataset;
  /** Largest offset the deprecated `/markets` serves. */
  maxOffset?: number;
}

export interface GammaServer extends ListServerControls<GammaCorruptionKind> {
  /** Base URL (the sync appends /markets/keyset). */
  url: string;
  stats: GammaStats;
}

/** Gamma's numeric market id of the dataset's market at `index`. */
export const gammaId = (index: number): string => String(index + 1);

/** The Gamma API's shape of one market; `tokens` as Gamma shows them (default: the true ones). */
export function gammaMarket(m: SimMarket, index: number, tokens: readonly SimToken[] = m.tokens): Record<string, unknown> {
  const yes = m.closed ? (m.conditionId.charCodeAt(2) % 2 === 0 ? 1 : 0) : 0.5;
  return {
    id: gammaId(index),
    question: m.question,
    conditionId: m.conditionId,
    slug: m.slug,
    ...(m.endDateIso ? { endDate: m.endDateIso } : {}),
    outcomes: JSON.stringify(tokens.map((t) => t.outcome)),
    outcomePrices: JSON.stringify(tokens.map((_, i) => String(i === 0 ? yes : 1 - yes))),
    clobTokenIds: JSON.stringify(tokens.map((t) => t.tokenId)),
    active: m.active,
    closed: m.closed,
    archived: false,
    ...(m.closed && m.endDateIso ? { closedTime: m.endDateIso.replace('T', ' ').replace(/\.\d+Z$/, '+00') } : {}),
    questionID: m.questionId,
    enableOrderBook: true,
    negRisk: m.negRisk,
    ...(m.negRisk ? { negRiskMarketID: m.negRiskMarketId, negRiskRequestID: m.questionId } : {}),
    ...(m.closed ? { umaResolutionStatus: 'resolved' } : {}),
    volume: String(1000 + (m.conditionId.charCodeAt(3) % 97) * 1000),
  };
}

function corrupt(row: Record<string, unknown>, kind: GammaCorruptionKind): void {
  switch (kind) {
    case 'clob-token-ids-not-json':
      row.clobTokenIds = String(row.clobTokenIds).slice(0, -2);
      break;
    case 'outcomes-length-mismatch':
      row.outcomes = JSON.stringify(['Yes']);
      break;
    case 'missing-condition-id':
      delete row.conditionId;
      break;
    case 'token-id-not-numeric':
      row.clobTokenIds = JSON.stringify(['not-a-number', ...(JSON.parse(String(row.clobTokenIds)) as string[]).slice(1)]);
      break;
  }
}

interface KeysetCursor {
  closed: boolean;
  after: number;
}

function encodeKeysetCursor(c: KeysetCursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decodeKeysetCursor(s: string): KeysetCursor | null {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Partial<KeysetCursor>;
    return typeof v.closed === 'boolean' && Number.isInteger(v.after) ? { closed: v.closed, after: v.after! } : null;
  } catch {
    return null;
  }
}

class BadRequest extends Error {}

function parseClosed(v: string | null): boolean {
  if (v === null || v === 'false') return false;
  if (v === 'true') return true;
  throw new BadRequest(`invalid closed: ${v}`);
}

function parseLimit(v: string | null): number {
  if (v === null) return GAMMA_DEFAULT_LIMIT;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(`invalid limit: ${v}`);
  return Math.min(n, GAMMA_MAX_LIMIT);
}

/** Starts the simulated Gamma API. */
export async function startGammaServer(opts: GammaServerOptions): Promise<GammaServer> {
  const ds = opts.dataset;
  const maxOffset = opts.maxOffset ?? GAMMA_DEFAULT_MAX_OFFSET;
  const list = new ListServing<GammaCorruptionKind>(opts);
  const stats: GammaStats = { requests: 0, pages: 0, marketsReturned: 0, badRequests: 0, offsetRequests: 0, faults: list.faults.counts };

  /** Dataset indexes Gamma lists for a `closed` filter, in id order. */
  const listed = (closed: boolean): number[] => {
    const out: number[] = [];
    ds.markets.forEach((m, i) => {
      if (m.closed === closed && !list.isHidden(m.conditionId) && listKnows(ds, 'gamma', m.conditionId)) out.push(i);
    });
    return out;
  };

  const rows = (indexes: number[]): Record<string, unknown>[] => {
    stats.pages++;
    stats.marketsReturned += indexes.length;
    return indexes.map((i) => {
      const m = ds.markets[i]!;
      const row = gammaMarket(m, i, listTokens(ds, 'gamma', m));
      const kind = list.corruptionOf(m.conditionId);
      if (kind) corrupt(row, kind);
      return row;
    });
  };

  const keyset = (url: URL): unknown => {
    if (url.searchParams.has('offset')) throw new BadRequest('offset is not supported on /markets/keyset, use after_cursor');
    const closed = parseClosed(url.searchParams.get('closed'));
    const limit = parseLimit(url.searchParams.get('limit'));
    const raw = url.searchParams.get('after_cursor');
    const cursor = raw === null ? null : decodeKeysetCursor(raw);
    if (raw !== null && (cursor === null || cursor.closed !== closed)) throw new BadRequest('invalid after_cursor for this query');
    const all = listed(closed);
    const start = cursor === null ? 0 : all.findIndex((i) => i + 1 > cursor.after);
    const page = start < 0 ? [] : all.slice(start, start + limit);
    const last = page.at(-1);
    const more = last !== undefined && start + limit < all.length;
    return { markets: rows(page), ...(more ? { next_cursor: encodeKeysetCursor({ closed, after: last + 1 }) } : {}) };
  };

  const legacy = (url: URL, res: ServerResponse): void => {
    stats.offsetRequests++;
    const closed = parseClosed(url.searchParams.get('closed'));
    const limit = parseLimit(url.searchParams.get('limit'));
    const offset = Number(url.searchParams.get('offset') ?? 0);
    if (!Number.isInteger(offset) || offset < 0) throw new BadRequest(`invalid offset: ${url.searchParams.get('offset')}`);
    if (offset > maxOffset) throw new BadRequest('offset too large, use /markets/keyset for deeper pagination');
    sendJson(res, 200, rows(listed(closed).slice(offset, offset + limit)), {
      deprecation: 'true',
      sunset: 'Fri, 01 May 2026 00:00:00 GMT',
      warning: '299 - "use /markets/keyset"',
    });
  };

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/$/, '');
    try {
      if (req.method === 'GET' && path === '/markets/keyset') sendJson(res, 200, keyset(url));
      else if (req.method === 'GET' && path === '/markets') legacy(url, res);
      else {
        stats.badRequests++;
        sendJson(res, 404, { type: 'not found', error: 'not found' });
      }
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      stats.badRequests++;
      sendJson(res, 422, { type: 'validation error', error: e.message });
    }
  };

  return { ...(await list.serve(stats, answer)), stats };
}
