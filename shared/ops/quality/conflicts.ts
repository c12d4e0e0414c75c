import type { CheckResult } from './types.ts';
import { fmt, num, one, rows, type Checked } from './sql.ts';

export interface ConflictExample {
  token_id: string;
  /** Each source's claim: [source, condition_id, outcome_index]. */
  claims: [string, string, number | null][];
  conditionDiffers: boolean;
  outcomeDiffers: boolean;
}

export interface ConflictDetails {
  conflicts: number;
  examples: ConflictExample[];
}

/**
 * Tokens whose sources disagree on the condition or the outcome
 * (`token_conflicts`). market_tokens still picks one claim by precedence,
 * but a disagreement means one source is wrong: someone must look.
 */
export async function checkTokenConflicts(w: Checked, examples: number): Promise<CheckResult<ConflictDetails>> {
  const n = num((await one<{ n: string }>(w, `SELECT count() AS n FROM ${w.db}.token_conflicts`)).n);
  const details: ConflictDetails = { conflicts: n, examples: [] };
  if (n === 0) return { name: 'token-conflicts', status: 'pass', summary: 'every source agrees on every token', details };
  const raw = await rows<{
    token_id: string;
    claims: [string, string, number | string | null][];
    condition_differs: boolean | number;
    outcome_differs: boolean | number;
  }>(w, `SELECT toString(token_id) AS token_id, claims, condition_differs, outcome_differs FROM ${w.db}.token_conflicts ORDER BY token_id LIMIT {n:UInt32}`, {
    n: examples,
  });
  details.examples = raw.map((r) => ({
    token_id: r.token_id,
    claims: r.claims.map(([source, condition, outcome]) => [source, condition, outcome === null ? null : Number(outcome)]),
    conditionDiffers: Boolean(r.condition_differs),
    outcomeDiffers: Boolean(r.outcome_differs),
  }));
  const first = details.examples[0];
  const example = first ? `; e.g. token ${first.token_id}: ${first.claims.map(([s, c, o]) => `${s} says ${c.slice(0, 10)}…/${o ?? '?'}`).join(', ')}` : '';
  return { name: 'token-conflicts', status: 'fail', summary: `${fmt(n)} token(s) claimed differently by different sources${example}`, details };
}
