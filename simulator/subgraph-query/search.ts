/** Reading sorted row lists: binary searches, bounded scans and a k-way merge. */
import type { SimFill } from '#simulator/dataset.ts';
import type { Pred } from './compiler.ts';
import type { EntityRow } from './entities.ts';

export function lowerBoundId(arr: readonly { id: string }[], id: string, inclusive: boolean): number {
  // first index with arr[i].id >= id (inclusive) or > id
  let lo = 0;
  let hi = arr.length;
  if (hi === 0 || (inclusive ? arr[0]!.id >= id : arr[0]!.id > id)) return 0;
  if (inclusive ? arr[hi - 1]!.id < id : arr[hi - 1]!.id <= id) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = arr[mid]!.id;
    if (inclusive ? v < id : v <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function lowerBoundTs(arr: readonly SimFill[], ts: number): number {
  let lo = 0;
  let hi = arr.length;
  if (hi === 0 || arr[0]!.timestamp >= ts) return 0;
  if (arr[hi - 1]!.timestamp < ts) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]!.timestamp < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Collects up to `need` matching rows from `arr[from..to)` walking forwards
 * (or backwards), then every further row that ties with the last one on
 * `key` (so a final sort can order ties correctly).
 */
export function collect<T>(
  arr: readonly T[],
  from: number,
  to: number,
  backwards: boolean,
  need: number,
  pred: Pred,
  key: ((e: T) => unknown) | null,
  out: T[],
): number {
  let n = 0;
  let last: unknown = undefined;
  let scanned = 0;
  if (!backwards) {
    for (let i = from; i < to; i++) {
      const e = arr[i]!;
      scanned++;
      if (n >= need && (key === null || key(e) !== last)) break;
      if (!pred(e as EntityRow)) continue;
      out.push(e);
      n++;
      if (key) last = key(e);
    }
  } else {
    for (let i = to - 1; i >= from; i--) {
      const e = arr[i]!;
      scanned++;
      if (n >= need && (key === null || key(e) !== last)) break;
      if (!pred(e as EntityRow)) continue;
      out.push(e);
      n++;
      if (key) last = key(e);
    }
  }
  return scanned;
}

export interface Run {
  arr: readonly SimFill[];
  /** next index to read */
  pos: number;
  /** forwards: exclusive end; backwards: inclusive start */
  end: number;
}

/**
 * k-way merge of sorted runs (each sorted by `cmp` when read in the given
 * direction): pulls rows in global order until `need` of them match, then
 * keeps pulling rows that tie with the last match on `key`.
 */
export function mergeRuns(
  runs: Run[],
  backwards: boolean,
  cmp: (a: SimFill, b: SimFill) => number,
  need: number,
  pred: Pred,
  key: ((f: SimFill) => unknown) | null,
  out: SimFill[],
): number {
  const heap: Run[] = [];
  const head = (r: Run): SimFill => r.arr[r.pos]!;
  const less = (a: Run, b: Run): boolean => cmp(head(a), head(b)) < 0;
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (const r of runs) if (backwards ? r.pos >= r.end : r.pos < r.end) heap.push(r);
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  let n = 0;
  let scanned = 0;
  let last: unknown = undefined;
  while (heap.length > 0) {
    const top = heap[0]!;
    const f = head(top);
    if (n >= need && (key === null || key(f) !== last)) break;
    scanned++;
    // a fill with two token legs sits in two runs: count it once
    if (out[out.length - 1] !== f && pred(f)) {
      out.push(f);
      n++;
      if (key) last = key(f);
    }
    top.pos += backwards ? -1 : 1;
    if (backwards ? top.pos < top.end : top.pos >= top.end) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) down(0);
  }
  return scanned;
}
