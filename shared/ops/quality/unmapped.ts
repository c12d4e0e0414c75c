import type { CheckResult } from './types.ts';
import { DAY_SECONDS, fmt, isoOf, num, one, percent, rows, unixOf, type Checked } from './sql.ts';

export interface UnmappedShare {
  /** Fills counted (FINAL), and those whose token no market list maps. */
  fills: number;
  unmapped: number;
  /** unmapped / fills; 0 without fills. */
  share: number;
}

export interface UnmappedToken {
  token_id: string;
  fills: number;
  /** USDC, 6 decimals, over the token's fills that are not a taker order's leg. */
  volume: string;
  first: string;
  last: string;
}

/** Fills at or after `since` (unix seconds; all fills when absent): how many have no mapped token. */
export async function unmappedShare(w: Checked, since?: number): Promise<UnmappedShare> {
  const r = await one<{ fills: string; unmapped: string }>(
    w,
    `SELECT count() AS fills, countIf(token_id NOT IN (SELECT token_id FROM ${w.db}.market_tokens WHERE condition_id != '')) AS unmapped
     FROM ${w.db}.fills FINAL WHERE timestamp >= toDateTime({since:UInt32}, 'UTC')`,
    { since: since ?? 0 },
  );
  const fills = num(r.fills);
  const unmapped = num(r.unmapped);
  return { fills, unmapped, share: fills === 0 ? 0 : unmapped / fills };
}

/** The unmapped tokens with the most fills. */
export async function topUnmappedTokens(w: Checked, limit: number): Promise<UnmappedToken[]> {
  const raw = await rows<{ token_id: string; fills: string; volume: string; first: string; last: string }>(
    w,
    // f.token_id is the column: unqualified, the name means the String the SELECT makes of it, and every fill was converted.
    `SELECT toString(f.token_id) AS token_id, count() AS fills, toString(sumIf(usdc_amount, NOT is_taker_order)) AS volume,
            min(timestamp) AS first, max(timestamp) AS last
     FROM ${w.db}.fills AS f FINAL
     WHERE f.token_id NOT IN (SELECT token_id FROM ${w.db}.market_tokens WHERE condition_id != '')
     GROUP BY f.token_id ORDER BY fills DESC, f.token_id LIMIT {n:UInt32}`,
    { n: limit },
  );
  return raw.map((r) => ({ token_id: r.token_id, fills: num(r.fills), volume: r.volume, first: isoOf(unixOf(r.first)), last: isoOf(unixOf(r.last)) }));
}

export interface UnmappedDetails {
  overall: UnmappedShare;
  /** The `recentDays` before the newest fill: where a broken market refresh shows first. */
  recent: UnmappedShare & { since: string | null };
  maxShare: number;
  top: UnmappedToken[];
}

/**
 * Fills whose token no market list (nor the exchange registry) maps stay in
 * `fills` and show as unmapped in `trades`. A few are normal for a while after
 * a market appears; a large share, overall or in the last days, means the
 * mapping sources stopped keeping up.
 */
export async function checkUnmapped(
  w: Checked,
  opts: { newestFill: number | null; recentDays: number; maxShare: number; examples: number },
): Promise<CheckResult<UnmappedDetails>> {
  const overall = await unmappedShare(w);
  const since = opts.newestFill === null ? null : opts.newestFill - opts.recentDays * DAY_SECONDS;
  const recent = since === null ? overall : await unmappedShare(w, since);
  const details: UnmappedDetails = {
    overall,
    recent: { ...recent, since: since === null ? null : isoOf(since) },
    maxShare: opts.maxShare,
    top: overall.unmapped > 0 ? await topUnmappedTokens(w, opts.examples) : [],
  };
  if (overall.fills === 0) return { name: 'unmapped', status: 'skip', summary: 'no fills yet', details };
  const text = `${fmt(overall.unmapped)} of ${fmt(overall.fills)} fills unmapped (${percent(overall.share)}); last ${opts.recentDays} days ${percent(recent.share)}`;
  const failing = overall.share > opts.maxShare || recent.share > opts.maxShare;
  return { name: 'unmapped', status: failing ? 'fail' : 'pass', summary: failing ? `${text}, above ${percent(opts.maxShare)}` : text, details };
}
