import { GraphQLError } from 'graphql';
import type { SimFill } from '#simulator/dataset.ts';
import type { FieldKind } from './entities.ts';

/** How entity and filter values compare: BigInt fields as numbers while exact, ids and strings by code unit. */
export interface BigVal {
  num: number;
  big: bigint;
  safe: boolean;
}

export function toBig(v: unknown): BigVal {
  const s = typeof v === 'number' ? String(Math.trunc(v)) : String(v);
  if (!/^-?[0-9]+$/.test(s)) throw new GraphQLError(`Invalid BigInt value: \`${s}\``);
  const big = BigInt(s);
  const num = Number(big);
  return { num, big, safe: Number.isSafeInteger(num) };
}

/** Compares an entity's BigInt value (number or decimal string) with a filter value. */
export function cmpBig(v: unknown, f: BigVal): number {
  if (typeof v === 'number' && f.safe) return v < f.num ? -1 : v > f.num ? 1 : 0;
  if (typeof v === 'string' && v.length <= 15 && f.safe) {
    const n = Number(v);
    return n < f.num ? -1 : n > f.num ? 1 : 0;
  }
  const b = typeof v === 'bigint' ? v : BigInt(v as string | number);
  return b < f.big ? -1 : b > f.big ? 1 : 0;
}

export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two entity values of one field. */
export function cmpField(kind: FieldKind, a: unknown, b: unknown): number {
  if (a === null || a === undefined || b === null || b === undefined) {
    // graph-node sorts nulls last ascending
    if (a === b || (a == null && b == null)) return 0;
    return a == null ? 1 : -1;
  }
  if (kind === 'bigint') {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return cmpBig(a, toBigFast(b));
  }
  if (kind === 'bigdecimal') return Number(a) - Number(b);
  return cmpStr(String(a), String(b));
}

export function toBigFast(v: unknown): BigVal {
  if (typeof v === 'number') return { num: v, big: BigInt(v), safe: Number.isSafeInteger(v) };
  return toBig(v);
}

export function byIdCmp(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id === b.id ? 0 : 1; // === is much cheaper than a second <
}

export function byTsCmp(a: SimFill, b: SimFill): number {
  return a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
