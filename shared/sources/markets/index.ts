import { z } from 'zod';
import type { KyInstance } from 'ky';
import { decimalUint256 } from '../../model/fill.ts';
import { rejectRecord, type StagedRecord } from '../../model/staged.ts';
import { sourceHttp, type SourceHttpOptions } from '../http.ts';
import type { Source, SourcePage, SourcePlan } from '../source.ts';

/**
 * The market list from the CLOB API (`GET /markets`, 1000 per page, cursor
 * `next_cursor` = base64 offset, "LTE=" at the end). Chosen over Gamma because
 * its cursor is stable, its tokens carry their outcome next to the token id,
 * and it keeps closed markets. Neither list is complete: fills whose token it
 * lacks stay in `fills` and show as unmapped in `trades` until a later
 * refresh finds their market.
 */
export interface MarketsSourceOptions extends SourceHttpOptions {
  url: string;
}

export const FIRST_CURSOR = 'MA==';
export const END_CURSOR = 'LTE=';

export const marketsSpecSchema = z.object({ list: z.literal('clob') });
export type MarketsSpec = z.infer<typeof marketsSpecSchema>;
export const marketsCursorSchema = z.object({ nextCursor: z.string().regex(/^[A-Za-z0-9+/=]{1,64}$/) });
export type MarketsCursor = z.infer<typeof marketsCursorSchema>;

const conditionId = z.string().regex(/^0x[0-9a-fA-F]{64}$/).transform((s) => s.toLowerCase());
const clobMarketSchema = z.object({
  condition_id: conditionId,
  question_id: z.string().nullish(),
  question: z.string().nullish(),
  market_slug: z.string().nullish(),
  end_date_iso: z.string().nullish(),
  closed: z.boolean(),
  neg_risk: z.boolean().nullish(),
  neg_risk_market_id: z.string().nullish(),
  tokens: z.array(z.object({ token_id: z.union([decimalUint256, z.literal('')]), outcome: z.string(), winner: z.boolean().nullish() })),
});

const pageSchema = z.object({
  data: z.array(z.unknown()),
  next_cursor: z.string().nullish(),
});

export function createMarketsSource(opts: MarketsSourceOptions, http: KyInstance = sourceHttp(opts)): Source<MarketsSpec, MarketsCursor> {
  const base = opts.url.replace(/\/+$/, '');
  return {
    name: 'markets',
    specSchema: marketsSpecSchema,
    cursorSchema: marketsCursorSchema,

    async plan(): Promise<SourcePlan<MarketsSpec>> {
      return { shards: [{ spec: { list: 'clob' }, estimatedRows: 0, label: 'market list' }], target: null };
    },

    async fetchPage(_spec, cursor, signal): Promise<SourcePage<MarketsCursor>> {
      const body = await http
        .get(`${base}/markets`, { searchParams: { next_cursor: cursor?.nextCursor ?? FIRST_CURSOR }, signal })
        .json();
      const page = pageSchema.safeParse(body);
      if (!page.success) throw new Error(`market list page does not match the schema: ${page.error.message}`);
      const records: StagedRecord[] = [];
      for (const raw of page.data.data) records.push(...marketRecords(raw));
      const next = page.data.next_cursor;
      const done = !next || next === END_CURSOR || page.data.data.length === 0;
      if (!done && next === cursor?.nextCursor) throw new Error(`market list returned the same cursor ${next} again`);
      return { records, next: done ? null : { nextCursor: next } };
    },
  };
}

function marketRecords(raw: unknown): StagedRecord[] {
  const parsed = clobMarketSchema.safeParse(raw);
  if (!parsed.success) {
    return [rejectRecord('markets', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), raw)];
  }
  const m = parsed.data;
  const endMs = m.end_date_iso ? Date.parse(m.end_date_iso) : NaN;
  // ClickHouse DateTime holds 1970..2106; a date outside it is noise in the list, not a market fact.
  const endSeconds = Math.floor(endMs / 1000);
  const endDate = Number.isFinite(endSeconds) && endSeconds >= 0 && endSeconds <= 4_294_967_295 ? endSeconds : null;
  const records: StagedRecord[] = [
    {
      table: 'markets',
      row: {
        condition_id: m.condition_id,
        question_id: m.question_id ?? '',
        question: m.question ?? '',
        slug: m.market_slug ?? '',
        end_date: endDate,
        closed: m.closed,
        neg_risk: m.neg_risk ?? false,
        neg_risk_market_id: m.neg_risk_market_id ?? '',
      },
    },
  ];
  m.tokens.forEach((t, outcomeIndex) => {
    // Markets that never opened an order book list their tokens with empty ids.
    if (t.token_id === '') return;
    records.push({
      table: 'token_claims',
      row: {
        token_id: t.token_id,
        source: 'clob',
        condition_id: m.condition_id,
        outcome_index: outcomeIndex,
        outcome: t.outcome,
        complement_id: '',
        winner: t.winner ?? null,
        exchange: '',
        block_number: 0,
      },
    });
  });
  return records;
}
