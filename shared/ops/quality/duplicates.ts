import type { CheckResult } from './types.ts';
import { fmt, num, one, rows, type Checked } from './sql.ts';

export interface DuplicateDetails {
  /** count(): rows stored, duplicates not yet merged away included. */
  rows: number;
  /** count() FINAL: rows after ReplacingMergeTree collapses equal fill_id within a partition. */
  rowsFinal: number;
  /** uniqExact(fill_id): distinct fills, across partitions too. */
  distinctIds: number;
  /** A few fill ids stored more than once, with how often and under how many timestamps. */
  examples: { fill_id: string; copies: number; timestamps: number }[];
  /** Ids stored with more than one timestamp: copies in different monthly partitions, which no merge collapses. */
  idsWithSeveralTimestamps: number;
}

/**
 * Every fill is stored once: count(), count() FINAL and uniqExact(fill_id)
 * must agree. count() > count() FINAL: a second copy of a fill was inserted
 * (a load whose deduplication failed, an unfinished replay) and not merged
 * away. count() FINAL > uniqExact(fill_id): one id sits in two monthly
 * partitions, on a server whose FINAL does not merge across partitions
 * (do_not_merge_across_partitions_select_final). Either way, an id stored
 * under two timestamps is named: background merges never fold those.
 */
export async function checkDuplicates(w: Checked, examples: number): Promise<CheckResult<DuplicateDetails>> {
  const c = await one<{ rows: string; rows_final: string; ids: string }>(
    w,
    `SELECT (SELECT count() FROM ${w.db}.fills) AS rows,
            (SELECT count() FROM ${w.db}.fills FINAL) AS rows_final,
            (SELECT uniqExact(fill_id) FROM ${w.db}.fills) AS ids`,
  );
  const details: DuplicateDetails = { rows: num(c.rows), rowsFinal: num(c.rows_final), distinctIds: num(c.ids), examples: [], idsWithSeveralTimestamps: 0 };
  const ok = details.rows === details.rowsFinal && details.rowsFinal === details.distinctIds;
  if (ok) {
    return { name: 'duplicates', status: 'pass', summary: `${fmt(details.rows)} fills, each stored once`, details };
  }
  // Only on failure: grouping every id is the expensive part.
  const copies = `SELECT fill_id, count() AS copies, uniqExact(timestamp) AS timestamps FROM ${w.db}.fills GROUP BY fill_id HAVING copies > 1`;
  details.idsWithSeveralTimestamps = num((await one<{ n: string }>(w, `SELECT countIf(timestamps > 1) AS n FROM (${copies})`)).n);
  details.examples = (
    await rows<{ fill_id: string; copies: string; timestamps: string }>(w, `${copies} ORDER BY copies DESC, fill_id LIMIT {n:UInt32}`, { n: examples })
  ).map((r) => ({ fill_id: r.fill_id, copies: num(r.copies), timestamps: num(r.timestamps) }));
  const parts: string[] = [];
  if (details.rows !== details.rowsFinal)
    parts.push(`count() ${fmt(details.rows)} vs count() FINAL ${fmt(details.rowsFinal)}: ${fmt(details.rows - details.rowsFinal)} extra copies`);
  if (details.rowsFinal !== details.distinctIds) parts.push(`count() FINAL ${fmt(details.rowsFinal)} vs uniqExact(fill_id) ${fmt(details.distinctIds)}`);
  if (details.idsWithSeveralTimestamps > 0) {
    parts.push(`${fmt(details.idsWithSeveralTimestamps)} fill id(s) stored under different timestamps (other monthly partitions: merges never fold them)`);
  }
  return { name: 'duplicates', status: 'fail', summary: parts.join('; '), details };
}
