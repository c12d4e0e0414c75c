/** Answers a collection query: the plan picks the candidates, the compiled predicate and comparator decide. */
import { GraphQLError } from 'graphql';
import type { SimFill } from '#simulator/dataset.ts';
import { compileWhere, comparator } from './compiler.ts';
import { sortedByTs, type DatasetIndex, type SortedLists } from './dataset-index.ts';
import { FILL_SPEC, MAX_FIRST, MAX_SKIP, type CollectionArgs, type EntitySpec, type TieBreak } from './entities.ts';
import { planOf } from './planner.ts';
import { collect, lowerBoundId, lowerBoundTs, mergeRuns, type Run } from './search.ts';
import { byTsCmp } from './values.ts';

export function checkRange(args: CollectionArgs): { first: number; skip: number } {
  const first = args.first ?? 100;
  const skip = args.skip ?? 0;
  if (first < 0 || first > MAX_FIRST) {
    throw new GraphQLError(`The \`first\` argument must be between 0 and ${MAX_FIRST}, but is ${first}`);
  }
  if (skip < 0 || skip > MAX_SKIP) {
    throw new GraphQLError(`The \`skip\` argument must be between 0 and ${MAX_SKIP}, but is ${skip}`);
  }
  return { first, skip };
}

export interface QueryCost {
  /** Rows looked at. */
  scanned: number;
  /** Which path answered: 'token-id', 'token-ts', 'global-id', 'global-ts', 'slow'. */
  path: string;
}

/** Runs an `orderFilledEvents` collection query. */
export function queryFills(index: DatasetIndex, args: CollectionArgs, tie: TieBreak, cost?: QueryCost): SimFill[] {
  const { first, skip } = checkRange(args);
  const where = args.where ?? null;
  const pred = compileWhere(FILL_SPEC, where);
  const orderBy = args.orderBy ?? 'id';
  const desc = args.orderDirection === 'desc';
  const cmp = comparator<SimFill>(FILL_SPEC, orderBy, desc, tie);
  if (first === 0) return [];
  const plan = planOf(where);
  const need = skip + first;
  const sources: SortedLists[] = [];
  if (orderBy !== 'id') {
    if (plan.tokens) {
      for (const t of plan.tokens) {
        const l = index.lists(t);
        if (l) sources.push(l);
      }
    } else {
      sources.push(index.lists(null)!);
    }
  }
  const out: SimFill[] = [];
  let scanned = 0;
  let path = (plan.tokens ? 'token-' : 'global-') + (orderBy === 'timestamp' ? 'ts' : 'id');
  if (orderBy === 'id') {
    const built = { scanned: 0 };
    const candidates = index.idCandidates(plan.tokens, plan.tsLo, plan.tsHi, built);
    scanned += built.scanned;
    const lo = plan.idLo === null ? 0 : lowerBoundId(candidates, plan.idLo, plan.idLoIncl);
    const hi = Math.max(lo, plan.idHi === null ? candidates.length : lowerBoundId(candidates, plan.idHi, !plan.idHiIncl));
    scanned += collect(candidates, lo, hi, desc, need, pred, null, out);
  } else if (orderBy === 'timestamp') {
    const runs: Run[] = [];
    for (const l of sources) {
      const byTs = sortedByTs(l);
      const a = plan.tsLo === -Infinity ? 0 : lowerBoundTs(byTs, plan.tsLo);
      const b = plan.tsHi === Infinity ? byTs.length : lowerBoundTs(byTs, plan.tsHi + 1);
      if (b > a) runs.push(desc ? { arr: byTs, pos: b - 1, end: a } : { arr: byTs, pos: a, end: b });
    }
    // runs are (timestamp, id) ascending; read backwards they are (timestamp, id)
    // descending, so merge on that order and let the final sort fix tie order
    const runCmp = desc ? (x: SimFill, y: SimFill) => -byTsCmp(x, y) : byTsCmp;
    scanned += mergeRuns(runs, desc, runCmp, need, pred, (f) => f.timestamp, out);
  } else {
    path = 'slow';
    for (const l of sources) {
      for (const f of l.byId) {
        scanned++;
        if (pred(f)) out.push(f);
      }
    }
  }
  out.sort(cmp);
  let rows = out;
  if (sources.length > 1) {
    // a fill with two token legs sits in two lists
    rows = [];
    for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) rows.push(out[i]!);
  }
  if (cost) {
    cost.scanned = scanned;
    cost.path = path;
  }
  return rows.slice(skip, skip + first);
}

/** Runs a collection query over a small entity list sorted by id. */
export function queryRows<T extends { id: string }>(spec: EntitySpec, rows: readonly T[], args: CollectionArgs, tie: TieBreak): T[] {
  const { first, skip } = checkRange(args);
  const where = args.where ?? null;
  const pred = compileWhere(spec, where);
  const orderBy = args.orderBy ?? 'id';
  const desc = args.orderDirection === 'desc';
  const cmp = comparator<T>(spec, orderBy, desc, tie);
  if (first === 0) return [];
  const out: T[] = [];
  if (orderBy === 'id') {
    const plan = planOf(where);
    const lo = plan.idLo === null ? 0 : lowerBoundId(rows, plan.idLo, plan.idLoIncl);
    const hi = plan.idHi === null ? rows.length : lowerBoundId(rows, plan.idHi, !plan.idHiIncl);
    if (hi > lo) collect(rows, lo, hi, desc, skip + first, pred, null, out);
  } else {
    for (const r of rows) if (pred(r)) out.push(r);
    out.sort(cmp);
  }
  return out.slice(skip, skip + first);
}
