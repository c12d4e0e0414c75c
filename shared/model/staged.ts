import { z } from 'zod';
import { fillRowSchema } from './fill.ts';
import { marketRowSchema } from './market.ts';
import { activityRowSchema, chainCoverageRowSchema, conditionRowSchema, negRiskQuestionRowSchema, tokenClaimRowSchema, walletRowSchema } from './ledger.ts';

/** A source row we could not use, kept with the reason so nothing is dropped silently. */
export const rejectRowSchema = z.object({
  source: z.string(),
  reason: z.string(),
  raw: z.string(),
});
export type RejectRow = z.infer<typeof rejectRowSchema>;

/**
 * One line of a staged gzip NDJSON object. Objects are source-agnostic: the
 * loader routes each line to its table and never looks at the source again.
 */
export const stagedRecordSchema = z.discriminatedUnion('table', [
  z.object({ table: z.literal('fills'), row: fillRowSchema }),
  z.object({ table: z.literal('markets'), row: marketRowSchema }),
  z.object({ table: z.literal('token_claims'), row: tokenClaimRowSchema }),
  z.object({ table: z.literal('conditions'), row: conditionRowSchema }),
  z.object({ table: z.literal('activity'), row: activityRowSchema }),
  z.object({ table: z.literal('neg_risk_questions'), row: negRiskQuestionRowSchema }),
  z.object({ table: z.literal('wallets'), row: walletRowSchema }),
  z.object({ table: z.literal('chain_coverage'), row: chainCoverageRowSchema }),
  z.object({ table: z.literal('rejects'), row: rejectRowSchema }),
]);
export type StagedRecord = z.infer<typeof stagedRecordSchema>;
export type StagedTable = StagedRecord['table'];
export const STAGED_TABLES: readonly StagedTable[] = [
  'fills',
  'markets',
  'token_claims',
  'conditions',
  'activity',
  'neg_risk_questions',
  'wallets',
  'chain_coverage',
  'rejects',
];
/** Tables a market list refreshes whole every run under new keys: they deduplicate on content. */
export const REFRESHED_TABLES: ReadonlySet<StagedTable> = new Set(['markets', 'token_claims']);

/** Cap on the raw text kept with a reject, so one hostile row cannot bloat the table. */
export const MAX_REJECT_RAW_CHARS = 4096;

export function rejectRecord(source: string, reason: string, raw: unknown): StagedRecord {
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? String(raw));
  } catch {
    text = String(raw);
  }
  return { table: 'rejects', row: { source, reason, raw: text.slice(0, MAX_REJECT_RAW_CHARS) } };
}
