/**
 * The fast paths' plan: from a `where` object, the token set, id range and
 * timestamp range the answer must lie in, so the executor reads a smaller
 * candidate set. A plan only narrows; the compiled predicate still decides.
 */
import { USDC_ASSET_ID } from '#simulator/dataset.ts';
import { toBig } from './values.ts';

export interface Plan {
  /** Token ids the answer is restricted to (maker or taker leg), or null. */
  tokens: Set<string> | null;
  idLo: string | null;
  idLoIncl: boolean;
  idHi: string | null;
  idHiIncl: boolean;
  /** inclusive timestamp range */
  tsLo: number;
  tsHi: number;
}

interface Conj {
  atoms: [string, unknown][];
  ors: Record<string, unknown>[][];
}

function flatten(where: Record<string, unknown> | null | undefined, out: Conj = { atoms: [], ors: [] }): Conj {
  if (!where) return out;
  for (const [k, v] of Object.entries(where)) {
    if (v === undefined) continue;
    if (k === 'and') for (const w of (v as Record<string, unknown>[] | null) ?? []) flatten(w, out);
    else if (k === 'or') out.ors.push((v as Record<string, unknown>[] | null) ?? []);
    else out.atoms.push([k, v]);
  }
  return out;
}

const TOKEN_KEYS = new Set(['makerAssetId', 'makerAssetId_in', 'takerAssetId', 'takerAssetId_in']);

function tokensOfAtoms(atoms: [string, unknown][]): Set<string> | null {
  for (const [k, v] of atoms) {
    if (!TOKEN_KEYS.has(k) || v === null) continue;
    return new Set(k.endsWith('_in') ? (v as unknown[]).map(String) : [String(v)]);
  }
  return null;
}

export function planOf(where: Record<string, unknown> | null | undefined): Plan {
  const c = flatten(where);
  const plan: Plan = { tokens: tokensOfAtoms(c.atoms), idLo: null, idLoIncl: true, idHi: null, idHiIncl: true, tsLo: -Infinity, tsHi: Infinity };
  if (!plan.tokens) {
    for (const branches of c.ors) {
      const union = new Set<string>();
      let all = branches.length > 0;
      for (const b of branches) {
        const t = tokensOfAtoms(flatten(b).atoms);
        if (!t) {
          all = false;
          break;
        }
        for (const x of t) union.add(x);
      }
      if (all) {
        plan.tokens = union;
        break;
      }
    }
  }
  if (plan.tokens?.has(USDC_ASSET_ID)) plan.tokens = null; // the USDC leg is not indexed
  for (const [k, v] of c.atoms) {
    if (v === null) continue;
    if (k === 'id' || k === 'id_gt' || k === 'id_gte') {
      const s = String(v);
      const incl = k !== 'id_gt';
      if (plan.idLo === null || s > plan.idLo || (s === plan.idLo && !incl)) {
        plan.idLo = s;
        plan.idLoIncl = incl;
      }
    }
    if (k === 'id' || k === 'id_lt' || k === 'id_lte') {
      const s = String(v);
      const incl = k !== 'id_lt';
      if (plan.idHi === null || s < plan.idHi || (s === plan.idHi && !incl)) {
        plan.idHi = s;
        plan.idHiIncl = incl;
      }
    }
    if (k === 'timestamp' || k === 'timestamp_gt' || k === 'timestamp_gte' || k === 'timestamp_lt' || k === 'timestamp_lte') {
      const b = toBig(v).num;
      if (k === 'timestamp' || k === 'timestamp_gte') plan.tsLo = Math.max(plan.tsLo, Math.ceil(b));
      if (k === 'timestamp_gt') plan.tsLo = Math.max(plan.tsLo, Math.floor(b) + 1);
      if (k === 'timestamp' || k === 'timestamp_lte') plan.tsHi = Math.min(plan.tsHi, Math.floor(b));
      if (k === 'timestamp_lt') plan.tsHi = Math.min(plan.tsHi, Math.ceil(b) - 1);
    }
  }
  return plan;
}
