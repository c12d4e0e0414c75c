import type { CheckResult } from './types.ts';
import { fmt, num, one, type Checked } from './sql.ts';

const HASH = '^0x[0-9a-f]{64}$';
const ADDRESS = '^0x[0-9a-f]{40}$';

/**
 * What a well-formed id looks like. The orderbook subgraph names a fill
 * `<transaction hash>_<order hash>` (Polymarket/polymarket-subgraph,
 * orderbook-subgraph/src/ExchangeMapping.ts, recordOrderFilledEvent); a fill
 * read from chain logs is `<transaction hash>_<log index>`. Both start with the
 * row's own transaction hash.
 */
const FILL_ID_OK = `(match(transaction_hash, {hash:String}) AND fill_id = concat(transaction_hash, '_', if(source = 'subgraph', order_hash, toString(log_index))))`;

export interface IdProblem {
  table: string;
  problem: string;
  rows: number;
  /** The offending values, with the staged object they came from. */
  examples: { value: string; staged_object: string }[];
}

export interface IdDetails {
  problems: IdProblem[];
}

interface Probe {
  table: string;
  problem: string;
  /** Rows that have the problem. */
  where: string;
  /** What to show of them. */
  value: string;
}

const PROBES: readonly Probe[] = [
  { table: 'fills', problem: 'empty fill_id', where: `fill_id = ''`, value: 'transaction_hash' },
  { table: 'fills', problem: 'fill_id not <transaction_hash>_<order_hash|log_index>', where: `fill_id != '' AND NOT ${FILL_ID_OK}`, value: 'fill_id' },
  {
    table: 'fills',
    problem: 'maker or taker not a 0x address',
    where: `NOT match(maker, {address:String}) OR NOT match(taker, {address:String})`,
    value: `concat(maker, ' / ', taker)`,
  },
  {
    table: 'activity',
    problem: 'event_id not <transaction_hash>_<log_index>',
    where: `event_id != concat(transaction_hash, '_', toString(log_index)) OR NOT match(transaction_hash, {hash:String})`,
    value: 'event_id',
  },
  {
    table: 'token_claims',
    problem: 'token_id 0 or condition_id not 32 bytes of hex',
    where: `token_id = 0 OR NOT match(condition_id, {hash:String})`,
    value: `concat(toString(token_id), ' -> ', condition_id)`,
  },
  { table: 'markets', problem: 'condition_id not 32 bytes of hex', where: `NOT match(condition_id, {hash:String})`, value: 'condition_id' },
];

/** Ids that are empty or do not have the shape their source gives them. */
export async function checkIds(w: Checked, examples: number): Promise<CheckResult<IdDetails>> {
  const problems: IdProblem[] = [];
  for (const p of PROBES) {
    const r = await one<{ n: string; examples: [string, string][] }>(
      w,
      `SELECT countIf(${p.where}) AS n, groupArrayIf({k:UInt32})((${p.value}, staged_object), ${p.where}) AS examples FROM ${w.db}.${p.table}`,
      { hash: HASH, address: ADDRESS, k: examples },
    );
    if (num(r.n) > 0) {
      problems.push({ table: p.table, problem: p.problem, rows: num(r.n), examples: r.examples.map(([value, staged_object]) => ({ value, staged_object })) });
    }
  }
  if (problems.length === 0) return { name: 'ids', status: 'pass', summary: 'every id is present and well-formed', details: { problems } };
  return {
    name: 'ids',
    status: 'fail',
    summary: problems.map((p) => `${p.table}: ${fmt(p.rows)} with ${p.problem}`).join('; '),
    details: { problems },
  };
}
