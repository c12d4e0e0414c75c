import type { CheckResult } from './types.ts';
import { fmt, num, one, rows, type Checked } from './sql.ts';

/** Who took a snapshot: `npm run check` or the monitor's probe. */
export type SnapshotTaker = 'check' | 'monitor';

export interface MappingSnapshot {
  takenAt: string;
  takenBy: string;
  marketTokens: number;
}

export interface MappingCountDetails {
  marketTokens: number;
  previous: MappingSnapshot | null;
  /** previous - current when positive, else 0. */
  lost: number;
  recorded: boolean;
}

/** Tokens market_tokens maps now. */
export async function countMappedTokens(w: Checked): Promise<number> {
  return num((await one<{ n: string }>(w, `SELECT count() AS n FROM ${w.db}.market_tokens WHERE condition_id != ''`)).n);
}

export async function latestSnapshot(w: Checked): Promise<MappingSnapshot | null> {
  const [r] = await rows<{ taken_at: string; taken_by: string; market_tokens: string }>(
    w,
    `SELECT toString(taken_at) AS taken_at, taken_by, market_tokens FROM ${w.db}.quality_snapshots ORDER BY taken_at DESC LIMIT 1`,
  );
  return r ? { takenAt: r.taken_at, takenBy: r.taken_by, marketTokens: num(r.market_tokens) } : null;
}

export async function recordSnapshot(w: Checked, takenBy: SnapshotTaker, marketTokens: number): Promise<void> {
  await w.client.insert({
    table: `${w.db}.quality_snapshots`,
    values: [{ taken_by: takenBy, market_tokens: marketTokens }],
    format: 'JSONEachRow',
    abort_signal: w.signal,
  });
}

/**
 * The mapping only grows: a token, once mapped, stays mapped (claims are
 * replaced, never withdrawn). Each run compares the count with the newest
 * snapshot, then records its own, so a shrink between two runs fails the
 * later one. `record: null` compares without recording (a read-only look).
 */
export async function checkMappingCount(w: Checked, record: SnapshotTaker | null): Promise<CheckResult<MappingCountDetails>> {
  const marketTokens = await countMappedTokens(w);
  const previous = await latestSnapshot(w);
  if (record) await recordSnapshot(w, record, marketTokens);
  const lost = previous ? Math.max(0, previous.marketTokens - marketTokens) : 0;
  const details: MappingCountDetails = { marketTokens, previous, lost, recorded: record !== null };
  if (!previous) return { name: 'mapping-count', status: 'pass', summary: `${fmt(marketTokens)} tokens mapped (first snapshot)`, details };
  if (lost > 0) {
    return {
      name: 'mapping-count',
      status: 'fail',
      summary: `${fmt(marketTokens)} tokens mapped, ${fmt(lost)} fewer than the ${previous.takenBy} snapshot of ${previous.takenAt} (${fmt(previous.marketTokens)})`,
      details,
    };
  }
  return {
    name: 'mapping-count',
    status: 'pass',
    summary: `${fmt(marketTokens)} tokens mapped (${fmt(previous.marketTokens)} at ${previous.takenAt})`,
    details,
  };
}
