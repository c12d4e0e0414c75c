import type { CheckResult } from './types.ts';
import { fmt, num, one, rows, type Checked } from './sql.ts';

export interface ResolutionExample {
  condition_id: string;
  token_id: string;
  outcome_index: number;
  /** What the CLOB list flags: true = this outcome won. */
  clob_winner: boolean;
  /** The chain's payout numerators ([] when the chain has not resolved it). */
  payout_numerators: string[];
}

export interface ResolutionDetails {
  /** CLOB winner flags compared with a resolution on chain. */
  compared: number;
  /** Flags that say the opposite of the chain's payout for that outcome. */
  disagreements: number;
  /** Tokens the CLOB flags as winners whose condition the chain has not resolved (yet). */
  winnerWithoutResolution: number;
  examples: ResolutionExample[];
}

/**
 * The chain's `ConditionResolution` is the truth about who won; the CLOB
 * list's `winner` flags are a second opinion: an outcome won when it takes
 * the whole payout (a 50/50 resolution has no winner). A flag that contradicts
 * the payouts (a "winner" paid nothing, or a sole paid outcome not flagged) means one
 * of them is wrong: the check fails and lists them. A winner the chain has
 * not resolved yet is only a warning (the list may run ahead of the oracle).
 */
export async function checkResolutions(w: Checked, examples: number): Promise<CheckResult<ResolutionDetails>> {
  const joined = `
    SELECT toString(t.token_id) AS token_id, t.condition_id AS condition_id, t.outcome_index AS outcome_index, t.winner AS clob_winner,
           arrayMap(x -> toString(x), c.payout_numerators) AS payout_numerators, c.is_resolved AS resolved,
           c.payout_numerators[t.outcome_index + 1] = arraySum(c.payout_numerators) AS chain_winner
    FROM (SELECT token_id, condition_id, outcome_index, winner FROM ${w.db}.token_claims FINAL
          WHERE source = 'clob' AND winner IS NOT NULL AND outcome_index IS NOT NULL) AS t
    LEFT JOIN (SELECT condition_id, payout_numerators, is_resolved FROM ${w.db}.conditions FINAL) AS c ON t.condition_id = c.condition_id`;
  const totals = await one<{ compared: string; disagreements: string; unresolved: string }>(
    w,
    `SELECT countIf(resolved = 1) AS compared, countIf(resolved = 1 AND clob_winner != chain_winner) AS disagreements,
            countIf(resolved != 1 AND clob_winner) AS unresolved FROM (${joined})`,
  );
  const details: ResolutionDetails = {
    compared: num(totals.compared),
    disagreements: num(totals.disagreements),
    winnerWithoutResolution: num(totals.unresolved),
    examples: [],
  };
  if (details.disagreements > 0 || details.winnerWithoutResolution > 0) {
    const found = await rows<ResolutionExample & { outcome_index: string | number; clob_winner: boolean | number }>(
      w,
      `SELECT token_id, condition_id, outcome_index, clob_winner, payout_numerators FROM (${joined})
       WHERE (resolved = 1 AND clob_winner != chain_winner) OR (resolved != 1 AND clob_winner)
       ORDER BY resolved DESC, condition_id LIMIT {n:UInt32}`,
      { n: examples },
    );
    details.examples = found.map((r) => ({ ...r, outcome_index: Number(r.outcome_index), clob_winner: Boolean(r.clob_winner) }));
  }
  if (details.disagreements > 0) {
    return {
      name: 'resolutions',
      status: 'fail',
      summary: `${fmt(details.disagreements)} CLOB winner flag(s) contradict the chain's payouts (of ${fmt(details.compared)} compared)`,
      details,
    };
  }
  if (details.winnerWithoutResolution > 0) {
    return {
      name: 'resolutions',
      status: 'warn',
      summary: `${fmt(details.winnerWithoutResolution)} token(s) flagged winner by the CLOB list whose condition is not resolved on chain yet`,
      details,
    };
  }
  return { name: 'resolutions', status: 'pass', summary: `${fmt(details.compared)} CLOB winner flags agree with the chain's payouts`, details };
}
