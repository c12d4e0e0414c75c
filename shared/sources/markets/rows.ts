import { z } from 'zod';
import type { TokenClaimSource } from '#shared/model/ledger.ts';
import type { StagedRecord } from '#shared/model/staged.ts';

/** A condition id as the lists write it (any case), kept lower-case. */
export const conditionIdSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x + 64 hex')
  .transform((s) => s.toLowerCase());

/** The CTF's outcome slots are indexed by one byte (token_claims.outcome_index is a UInt8). */
export const MAX_OUTCOMES = 256;

/** A schema failure as one line: "path: message; path: message". */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

/**
 * Unix seconds of an end date, or null. ClickHouse DateTime holds 1970..2106;
 * a date outside it (Go's zero time, a typo'd year) is noise in a list, not a
 * market fact.
 */
export function endDateSeconds(iso: string | null | undefined): number | null {
  const seconds = Math.floor((iso ? Date.parse(iso) : NaN) / 1000);
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= 4_294_967_295 ? seconds : null;
}

/** One list's claim that a token is outcome `outcomeIndex` (null: unknown) of a condition. */
export function tokenClaim(
  source: Exclude<TokenClaimSource, 'registry'>,
  tokenId: string,
  conditionId: string,
  outcomeIndex: number | null,
  outcome: string,
  winner: boolean | null = null,
): StagedRecord {
  return {
    table: 'token_claims',
    row: {
      token_id: tokenId,
      source,
      condition_id: conditionId,
      outcome_index: outcomeIndex,
      outcome,
      complement_id: '',
      winner,
      exchange: '',
      block_number: 0,
    },
  };
}
