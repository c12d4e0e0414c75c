import { z } from 'zod';

/** One row of `markets`: one per condition. */
export const marketRowSchema = z.object({
  condition_id: z.string().regex(/^0x[0-9a-f]{64}$/),
  question_id: z.string(),
  question: z.string(),
  slug: z.string(),
  end_date: z.number().int().nonnegative().nullable(),
  closed: z.boolean(),
  neg_risk: z.boolean(),
  neg_risk_market_id: z.string(),
});
export type MarketRow = z.infer<typeof marketRowSchema>;
