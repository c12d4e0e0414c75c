import type { CheckResult } from './types.ts';
import { fmt, num, rows, type Checked } from './sql.ts';

export interface RejectReason {
  source: string;
  reason: string;
  rows: number;
  lastAt: string;
}

export interface RejectDetails {
  total: number;
  reasons: RejectReason[];
}

/**
 * Source rows set aside because they could not be used, by source and
 * reason. Rejects are the pipeline working as designed (nothing dropped
 * silently), so they warn rather than fail; the reasons say what to fix.
 */
export async function checkRejects(w: Checked, limit: number): Promise<CheckResult<RejectDetails>> {
  const raw = await rows<{ source: string; reason: string; n: string; last_at: string }>(
    w,
    `SELECT source, reason, count() AS n, toString(max(rejected_at)) AS last_at FROM ${w.db}.rejects
     GROUP BY source, reason ORDER BY n DESC, source, reason`,
  );
  const reasons = raw.map((r) => ({ source: r.source, reason: r.reason, rows: num(r.n), lastAt: r.last_at }));
  const total = reasons.reduce((n, r) => n + r.rows, 0);
  const details: RejectDetails = { total, reasons: reasons.slice(0, limit) };
  if (total === 0) return { name: 'rejects', status: 'pass', summary: 'no rejected source rows', details };
  const top = reasons[0]!;
  return {
    name: 'rejects',
    status: 'warn',
    summary: `${fmt(total)} source rows rejected for ${fmt(reasons.length)} reason(s); most: ${fmt(top.rows)} ${top.source}: ${top.reason}`,
    details,
  };
}
