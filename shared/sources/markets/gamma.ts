import { z } from 'zod';
import type { KyInstance } from 'ky';
import { decimalUint256 } from '#shared/model/fill.ts';
import { rejectRecord, type StagedRecord } from '#shared/model/staged.ts';
import { conditionIdSchema, endDateSeconds, issuesText, MAX_OUTCOMES, tokenClaim } from './rows.ts';

/**
 * Gamma's market list, read through `GET /markets/keyset?limit&closed&after_cursor`,
 * which answers `{ markets, next_cursor }` and leaves `next_cursor` out on
 * the last page. The offset listing (`GET /markets?limit&offset`) is past its
 * sunset (2026-05-01: `deprecation`, `sunset` and `warning: 299 - "use
 * /markets/keyset"` headers) and refuses deep offsets with 422 "offset too
 * large, use /markets/keyset for deeper pagination", so it cannot read the
 * whole list. `closed` defaults to false upstream: a whole read pages
 * closed=false and closed=true separately. `limit` is clamped to 100.
 * Sources: docs.polymarket.com/api-reference/markets/list-markets-keyset-pagination;
 * forecastingresearch/forecastbench#194 (headers), sapiencexyz/sapience#1884
 * (422 body; `after_cursor`, not `cursor`, advances, the Polymarket/agents#227
 * trap), nautechsystems/nautilus_trader#4086 (limit clamp).
 *
 * Fields per Polymarket/rs-clob-client src/gamma/types/response.rs (`Market`):
 * `conditionId`, `questionID`, `question`, `slug`, `endDate`, `closed`,
 * `negRisk`, `negRiskMarketID`, and `outcomes` / `clobTokenIds` as
 * JSON-encoded strings whose i-th entries pair up.
 */
export const GAMMA_PAGE_SIZE = 100;
/** What rejected Gamma rows are filed under. */
export const GAMMA_REJECT_SOURCE = 'markets/gamma';

export const gammaCursorSchema = z.object({ afterCursor: z.string().regex(/^[\x21-\x7e]{1,4096}$/, 'must be 1..4096 printable ASCII') }).strict();
export type GammaCursor = z.infer<typeof gammaCursorSchema>;

const pageSchema = z.object({
  markets: z.array(z.unknown()),
  next_cursor: z.string().nullish(),
});

const jsonText = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a JSON-encoded array' });
    return z.NEVER;
  }
});
/** Gamma sends these lists as JSON text; an array is taken as it is. */
const encodedArray = <T extends z.ZodType>(item: T) => z.union([z.array(z.unknown()), jsonText]).pipe(z.array(item).max(MAX_OUTCOMES));

const gammaMarketSchema = z
  .object({
    conditionId: conditionIdSchema,
    questionID: z.string().nullish(),
    question: z.string().nullish(),
    slug: z.string().nullish(),
    endDate: z.string().nullish(),
    closed: z.boolean().nullish(),
    negRisk: z.boolean().nullish(),
    negRiskMarketID: z.string().nullish(),
    outcomes: encodedArray(z.string()).nullish(),
    // Markets without an order book have no token ids (absent, empty, or "").
    clobTokenIds: encodedArray(z.union([decimalUint256, z.literal('')])).nullish(),
  })
  .superRefine((m, ctx) => {
    const tokens = m.clobTokenIds ?? [];
    if (tokens.some((t) => t !== '') && (m.outcomes ?? []).length !== tokens.length) {
      ctx.addIssue({ code: 'custom', path: ['outcomes'], message: `has ${(m.outcomes ?? []).length} entries for ${tokens.length} clobTokenIds` });
    }
  });

export interface GammaPage {
  records: StagedRecord[];
  next: GammaCursor | null;
}

export async function fetchGammaPage(http: KyInstance, base: string, closed: boolean, cursor: GammaCursor | null, signal?: AbortSignal): Promise<GammaPage> {
  const searchParams: Record<string, string | number> = { limit: GAMMA_PAGE_SIZE, closed: String(closed) };
  if (cursor) searchParams.after_cursor = cursor.afterCursor;
  const body = await http.get(`${base}/markets/keyset`, { searchParams, signal }).json();
  const page = pageSchema.safeParse(body);
  if (!page.success) throw new Error(`Gamma market page does not match the schema: ${page.error.message}`);
  const records: StagedRecord[] = [];
  for (const raw of page.data.markets) records.push(...gammaMarketRecords(raw, closed));
  const next = page.data.next_cursor;
  const done = !next || page.data.markets.length === 0;
  if (!done && next === cursor?.afterCursor) throw new Error('Gamma market list returned the same cursor again');
  if (!done && !gammaCursorSchema.safeParse({ afterCursor: next }).success)
    throw new Error(`Gamma market list returned a malformed cursor ${next.slice(0, 80)}`);
  return { records, next: done ? null : { afterCursor: next } };
}

/** A Gamma market as a `markets` row (what Gamma knows of it) and one claim per token. */
function gammaMarketRecords(raw: unknown, closedFilter: boolean): StagedRecord[] {
  const parsed = gammaMarketSchema.safeParse(raw);
  if (!parsed.success) return [rejectRecord(GAMMA_REJECT_SOURCE, issuesText(parsed.error), raw)];
  const m = parsed.data;
  const records: StagedRecord[] = [
    {
      table: 'markets',
      row: {
        condition_id: m.conditionId,
        question_id: m.questionID ?? '',
        question: m.question ?? '',
        slug: m.slug ?? '',
        end_date: endDateSeconds(m.endDate),
        closed: m.closed ?? closedFilter,
        neg_risk: m.negRisk ?? false,
        neg_risk_market_id: m.negRiskMarketID ?? '',
      },
    },
  ];
  (m.clobTokenIds ?? []).forEach((tokenId, outcomeIndex) => {
    if (tokenId !== '') records.push(tokenClaim('gamma', tokenId, m.conditionId, outcomeIndex, m.outcomes?.[outcomeIndex] ?? ''));
  });
  return records;
}
