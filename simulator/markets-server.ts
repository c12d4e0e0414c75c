/**
 * A simulated CLOB market list: `GET /markets?next_cursor=<cursor>`, 1000
 * markets per page, the cursor being base64 of the decimal offset ("MA=="
 * starts, "LTE=" — base64 of "-1" — marks the end), over a live Dataset.
 * Markets can be hidden (the real list lacks some), rows can lie, and the
 * same faults and rate limits as the subgraph apply. With list coverage on
 * the dataset (market-lists.ts), the list also lacks the markets the coverage
 * says the CLOB omits and shows the tokens it gets wrong.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dataset, SimMarket, SimToken } from './dataset.ts';
import { ListServing, sendJson, type ListCorruption, type ListServerControls, type ListServerOptions, type ListStats } from './list-server.ts';
import { listKnows, listTokens } from './market-lists.ts';

export const MARKETS_PAGE_SIZE = 1000;
export const START_CURSOR = 'MA==';
export const END_CURSOR = 'LTE=';

export type MarketCorruptionKind = 'tokens-not-array' | 'token-id-not-numeric' | 'missing-condition-id' | 'bad-condition-id';

export type MarketCorruption = ListCorruption<MarketCorruptionKind>;

/** badRequests: answered 400 (bad cursor) or 404. */
export type MarketsStats = ListStats;

export interface MarketsServerOptions extends ListServerOptions<MarketCorruptionKind> {
  dataset: Dataset;
  pageSize?: number;
}

export interface MarketsServer extends ListServerControls<MarketCorruptionKind> {
  /** Base URL (the sync appends /markets). */
  url: string;
  stats: MarketsStats;
}

export function encodeCursor(offset: number): string {
  return Buffer.from(String(offset), 'utf8').toString('base64');
}

export function decodeCursor(cursor: string): number | null {
  const s = Buffer.from(cursor, 'base64').toString('utf8');
  if (!/^-?[0-9]+$/.test(s) || encodeCursor(Number(s)) !== cursor) return null;
  return Number(s);
}

/** The CLOB API's shape of one market; `tokens` as the list shows them (default: the true ones). */
export function clobMarket(m: SimMarket, tokens: readonly SimToken[] = m.tokens): Record<string, unknown> {
  const madeUp = m.conditionId.charCodeAt(2) % 2 === 0 ? 1 : 0;
  const known = m.winnerIndex === undefined ? madeUp : m.winnerIndex === 0 ? 1 : m.winnerIndex === 1 ? 0 : 0.5;
  const priceYes = m.closed ? known : 0.5;
  return {
    enable_order_book: !m.closed,
    active: m.active,
    closed: m.closed,
    archived: false,
    accepting_orders: !m.closed,
    accepting_order_timestamp: null,
    minimum_order_size: 5,
    minimum_tick_size: 0.01,
    condition_id: m.conditionId,
    question_id: m.questionId,
    question: m.question,
    description: `This market resolves to "Yes" if ${m.question.replace(/^Will /, '').replace(/\?$/, '')}.`,
    market_slug: m.slug,
    end_date_iso: m.endDateIso,
    game_start_time: null,
    seconds_delay: 0,
    fpmm: '',
    maker_base_fee: 0,
    taker_base_fee: 0,
    notifications_enabled: true,
    neg_risk: m.negRisk,
    neg_risk_market_id: m.negRiskMarketId,
    neg_risk_request_id: m.negRisk ? m.questionId : '',
    icon: '',
    image: '',
    rewards: { rates: null, min_size: 0, max_spread: 0 },
    is_50_50_outcome: false,
    tokens: tokens.map((t, i) => ({
      token_id: t.tokenId,
      outcome: t.outcome,
      price: i === 0 ? priceYes : 1 - priceYes,
      winner: m.closed && (i === 0 ? priceYes === 1 : priceYes === 0),
    })),
    tags: ['All'],
  };
}

function corrupt(row: Record<string, unknown>, kind: MarketCorruptionKind): void {
  switch (kind) {
    case 'tokens-not-array':
      row.tokens = { token_id: '1', outcome: 'Yes' };
      break;
    case 'token-id-not-numeric':
      (row.tokens as Record<string, unknown>[])[0]!.token_id = 'not-a-number';
      break;
    case 'missing-condition-id':
      delete row.condition_id;
      break;
    case 'bad-condition-id':
      row.condition_id = '0x1234';
      break;
  }
}

/** Starts the simulated CLOB market list. */
export async function startMarketsServer(opts: MarketsServerOptions): Promise<MarketsServer> {
  const ds = opts.dataset;
  const pageSize = opts.pageSize ?? MARKETS_PAGE_SIZE;
  const list = new ListServing<MarketCorruptionKind>(opts);
  const stats: MarketsStats = { requests: 0, pages: 0, marketsReturned: 0, badRequests: 0, faults: list.faults.counts };

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname.replace(/\/$/, '') !== '/markets') {
      stats.badRequests++;
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const cursor = url.searchParams.get('next_cursor') ?? START_CURSOR;
    const offset = decodeCursor(cursor);
    if (offset === null || offset < -1) {
      stats.badRequests++;
      sendJson(res, 400, { error: 'invalid next_cursor' });
      return;
    }
    const visible = !list.hidesAny && !ds.lists ? ds.markets : ds.markets.filter((m) => !list.isHidden(m.conditionId) && listKnows(ds, 'clob', m.conditionId));
    const slice = offset < 0 ? [] : visible.slice(offset, offset + pageSize);
    const next = offset < 0 || offset + pageSize >= visible.length ? END_CURSOR : encodeCursor(offset + pageSize);
    const data = slice.map((m) => {
      const row = clobMarket(m, listTokens(ds, 'clob', m));
      const kind = list.corruptionOf(m.conditionId);
      if (kind) corrupt(row, kind);
      return row;
    });
    stats.pages++;
    stats.marketsReturned += data.length;
    sendJson(res, 200, { limit: pageSize, count: data.length, next_cursor: next, data });
  };

  return { ...(await list.serve(stats, answer)), stats };
}
