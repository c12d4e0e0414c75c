/**
 * Compiles graph-node's collection arguments into functions: a `where`
 * object into a row predicate and `orderBy`/`orderDirection` into a
 * comparator, raising graph-node's own errors for what it refuses.
 */
import { GraphQLError } from 'graphql';
import type { EntityRow, EntitySpec, Op, TieBreak } from './entities.ts';
import { byIdCmp, cmpBig, cmpField, cmpStr, toBig } from './values.ts';

export type Pred = (e: EntityRow) => boolean;

function parseKey(spec: EntitySpec, key: string): { field: string; op: Op } {
  // longest suffix first: `_not_in` before `_in` and `_not`, `_gte` before `_gt`
  for (const op of ['_not_in', '_in', '_not', '_gte', '_gt', '_lte', '_lt', ''] as const) {
    if (op === '' ? key in spec.fields : key.endsWith(op) && key.slice(0, -op.length) in spec.fields) {
      return { field: op === '' ? key : key.slice(0, -op.length), op };
    }
  }
  throw new GraphQLError(`Entity \`${spec.name}\` has no attribute \`${key}\``);
}

function atomPredicate(spec: EntitySpec, key: string, value: unknown): Pred {
  const { field, op } = parseKey(spec, key);
  const kind = spec.fields[field]!;
  const get = (e: EntityRow): unknown => (e as Record<string, unknown>)[field];
  if (value === null) {
    if (op === '') return (e) => get(e) == null;
    if (op === '_not') return (e) => get(e) != null;
  }
  if (op === '_in' || op === '_not_in') {
    const list = (value as unknown[]) ?? [];
    let has: (v: unknown) => boolean;
    if (kind === 'bigint') {
      const set = new Set(list.map((x) => toBig(x).big.toString()));
      has = (v) => v != null && set.has(BigInt(v as string | number).toString());
    } else if (kind === 'bigdecimal') {
      const set = new Set(list.map((x) => Number(x)));
      has = (v) => v != null && set.has(Number(v));
    } else {
      const set = new Set(list.map(String));
      has = (v) => v != null && set.has(String(v));
    }
    return op === '_in'
      ? (e) => has(get(e))
      : (e) => {
          const v = get(e);
          return v != null && !has(v);
        };
  }
  let cmp: (v: unknown) => number;
  if (kind === 'bigint') {
    const f = toBig(value);
    cmp = (v) => cmpBig(v, f);
  } else if (kind === 'bigdecimal') {
    const f = Number(value);
    cmp = (v) => Number(v) - f;
  } else {
    const f = String(value);
    cmp = (v) => cmpStr(String(v), f);
  }
  switch (op) {
    case '':
      return (e) => {
        const v = get(e);
        return v != null && cmp(v) === 0;
      };
    case '_not':
      return (e) => {
        const v = get(e);
        return v != null && cmp(v) !== 0;
      };
    case '_gt':
      return (e) => {
        const v = get(e);
        return v != null && cmp(v) > 0;
      };
    case '_gte':
      return (e) => {
        const v = get(e);
        return v != null && cmp(v) >= 0;
      };
    case '_lt':
      return (e) => {
        const v = get(e);
        return v != null && cmp(v) < 0;
      };
    case '_lte':
      return (e) => {
        const v = get(e);
        return v != null && cmp(v) <= 0;
      };
  }
}

function checkShape(where: Record<string, unknown>): void {
  const keys = Object.keys(where);
  // graph-node (graphql/src/store/query.rs) refuses `or` next to column
  // filters at the same level with InvalidFilterError, whose Display is
  // literally "Filter must by an object" (sic). Nest the column filters
  // in an `and` instead: { and: [ { or: [...] }, { timestamp_gt: T } ] }.
  if ('or' in where && keys.some((k) => k !== 'or' && k !== 'and')) {
    throw new GraphQLError('Filter must by an object');
  }
}

// Plain loops: these run once per candidate row, and every()/some() would allocate a closure per call.
function allOf(preds: Pred[]): Pred {
  return (e) => {
    for (const p of preds) if (!p(e)) return false;
    return true;
  };
}

function anyOf(preds: Pred[]): Pred {
  return (e) => {
    for (const p of preds) if (p(e)) return true;
    return false;
  };
}

/** Compiles a `where` object (as graphql-js coerced it) to a predicate. Throws graph-node's errors. */
export function compileWhere(spec: EntitySpec, where: Record<string, unknown> | null | undefined): Pred {
  if (!where) return () => true;
  checkShape(where);
  const parts: Pred[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === 'and' || key === 'or') {
      const subs = ((value as Record<string, unknown>[] | null) ?? []).map((w) => compileWhere(spec, w));
      parts.push(key === 'and' ? allOf(subs) : anyOf(subs));
      continue;
    }
    if (key === '_change_block') continue;
    parts.push(atomPredicate(spec, key, value));
  }
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0]!;
  return allOf(parts);
}

export function comparator<T extends { id: string }>(spec: EntitySpec, orderBy: string, desc: boolean, tie: TieBreak): (a: T, b: T) => number {
  const kind = spec.fields[orderBy];
  if (!kind) throw new GraphQLError(`Entity \`${spec.name}\` has no attribute \`${orderBy}\``);
  const sign = desc ? -1 : 1;
  const tieSign = tie === 'asc' ? 1 : sign;
  if (orderBy === 'id') return (a, b) => sign * byIdCmp(a, b);
  return (a, b) => {
    const c = cmpField(kind, (a as Record<string, unknown>)[orderBy], (b as Record<string, unknown>)[orderBy]);
    return c !== 0 ? sign * c : tieSign * byIdCmp(a, b);
  };
}
