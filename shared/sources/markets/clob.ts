import { z } from 'zod';
import type { KyInstance } from 'ky';
import { decimalUint256 } from '#shared/model/fill.ts';
import { rejectRecord, type StagedRecord } from '#shared/model/staged.ts';
import { conditionIdSchema, endDateSeconds, issuesText, MAX_OUTCOMES, tokenClaim } from './rows.ts';

/**
 * The CLOB API's market list (`GET /markets`, 1000 per page, cursor
 * `next_cursor` = base64 offset, "LTE=" at the end). Its cursor is stable,
 * its tokens carry their outcome and the `winner` flag, and it keeps closed
 * markets; it still lacks some old and some new markets.
 */
export const FIRST_CURSOR = 'MA==';
export const END_CURSOR = 'LTE=';
/** What rejected CLOB rows are filed under. */
export const CLOB_REJECT_SOURCE = 'markets';

export const clobCursorSchema = z.object({ nextCursor: z.string().regex(/^[A-Za-z0-9+/=]{1,64}$/) }).strict();
export type ClobCursor = z.infer<typeof clobCursorSchema>;

const clobMarketSchema = z.object({
  condition_id: conditionIdSchema,
  question_id: z.string().nullish(),
  question: z.string().nullish(),
  market_slug: z.string().nullish(),
  end_date_iso: z.string().nullish(),
  closed: z.boolean(),
  neg_risk: z.boolean().nullish(),
  neg_risk_market_id: z.string().nullish(),
  tokens: z.array(z.object({ token_id: z.union([decimalUint256, z.literal('')]), outcome: z.string(), winner: z.boolean().nullish() })).max(MAX_OUTCOMES),
});

const pageSchema = z.object({
  data: z.array(z.unknown()),
  next_cursor: z.string().nullish(),
});

export interface ClobPage {
  records: StagedRecord[];
  next: ClobCursor | null;
}

export async function fetchClobPage(http: KyInstance, base: string, cursor: ClobCursor | null, signal?: AbortSignal): Promise<ClobPage> {
  const body = await http.get(`${base}/markets`, { searchParams: { next_cursor: cursor?.nextCursor ?? FIRST_CURSOR }, signal }).json();
  const page = pageSchema.safeParse(body);
  if (!page.success) throw new Error(`market list page does not match the schema: ${page.error.message}`);
  const records: StagedRecord[] = [];
  for (const raw of page.data.data) records.push(...clobMarketRecords(raw));
  const next = page.data.next_cursor;
  const done = !next || next === END_CURSOR || page.data.data.length === 0;
  if (!done && next === cursor?.nextCursor) throw new Error(`market list returned the same cursor ${next} again`);
  if (!done && !clobCursorSchema.safeParse({ nextCursor: next }).success) throw new Error(`market list returned a malformed cursor ${next.slice(0, 80)}`);
  return { records, next: done ? null : { nextCursor: next } };
}

function clobMarketRecords(raw: unknown): StagedRecord[] {
  const parsed = clobMarketSchema.safeParse(raw);
  if (!parsed.success) return [rejectRecord(CLOB_REJECT_SOURCE, issuesText(parsed.error), raw)];
  const m = parsed.data;
  const records: StagedRecord[] = [
    {
      table: 'markets',
      row: {
        condition_id: m.condition_id,
        question_id: m.question_id ?? '',
        question: m.question ?? '',
        slug: m.market_slug ?? '',
        end_date: endDateSeconds(m.end_date_iso),
        closed: m.closed,
        neg_risk: m.neg_risk ?? false,
        neg_risk_market_id: m.neg_risk_market_id ?? '',
      },
    },
  ];
  m.tokens.forEach((t, outcomeIndex) => {
    // Markets that never opened an order book list their tokens with empty ids.
    if (t.token_id !== '') records.push(tokenClaim('clob', t.token_id, m.condition_id, outcomeIndex, t.outcome, t.winner ?? null));
  });
  return records;
}
