import { keccak256, numberToHex, toHex, type Address, type Hex } from 'viem';
import type { RpcLog } from '#shared/sources/chain/decode.ts';
import type { RpcFailure } from '#shared/sources/chain/errors.ts';
import { failureText, type ProbeRpc } from './rpc.ts';

/**
 * Block spans providers are known to cap eth_getLogs at (Alchemy's free tier
 * 10, public endpoints 500 to 50,000, QuickNode 10,000), and the sync's
 * longest shard (100,000): the span probe tries these, not every number.
 */
export const KNOWN_SPANS = [10, 100, 500, 1_000, 2_000, 3_500, 5_000, 10_000, 50_000, 100_000] as const;
/** The chain source's own defaults when CHAIN_MAX_BLOCK_SPAN / CHAIN_MAX_LOGS_PER_REQUEST are unset (shared/sources/chain/options.ts). */
export const DEFAULT_SPAN = 2_000;
export const DEFAULT_RESULT_CAP = 10_000;
/** eth_getLogs calls the span probe may make. */
export const MAX_SPAN_CALLS = 6;
/** Blocks the result probe samples near the head, and how far it looks when those hold nothing. */
const SAMPLE_SPAN = 100;
const WIDE_SAMPLE_SPAN = 2_000;

/** A topic0 no contract emits, so a span probe returns no logs and meets only the span cap. */
const NO_SUCH_TOPIC: Hex = keccak256(toHex('polymarket-sync doctor: a topic no contract emits'));

export interface LogFilter {
  addresses: readonly Address[];
  topics: readonly Hex[];
}

type LogsAnswer = { ok: true; logs: RpcLog[] } | { ok: false; failure: RpcFailure };

async function getLogs(rpc: ProbeRpc, filter: LogFilter, topics: readonly Hex[], from: bigint, to: bigint): Promise<LogsAnswer> {
  const res = await rpc.call<RpcLog[]>('eth_getLogs', [
    { address: [...filter.addresses], topics: [topics.length === 1 ? topics[0] : [...topics]], fromBlock: numberToHex(from), toBlock: numberToHex(to) },
  ]);
  if (!res.ok) return res;
  if (!Array.isArray(res.value)) return { ok: false, failure: { kind: 'fatal', reason: 'eth_getLogs returned a non-array result' } };
  return { ok: true, logs: res.value };
}

const windowEnding = (head: bigint, span: number): [bigint, bigint] => {
  const from = head - BigInt(span) + 1n;
  return [from < 0n ? 0n : from, head];
};

export interface SpanProbe {
  /** Largest span accepted (0: none). */
  accepted: number;
  /** Smallest span refused, if any was. */
  refused: number | null;
  /** The cap the provider stated in its refusal, if it did. */
  stated: number | null;
  calls: number;
  /** A failure that was not a range refusal (the probe stopped there). */
  error: string | null;
  /** That failure was a timeout: slow, not broken. */
  timedOut: boolean;
}

/**
 * The largest eth_getLogs block span the provider accepts, over a filter
 * that matches nothing (so only the span cap can refuse it). Starts at the
 * configured span, follows a cap the provider states, and otherwise moves
 * through KNOWN_SPANS: up tenfold while accepted, halfway (by position)
 * between the largest accepted and the smallest refused. At most MAX_SPAN_CALLS calls.
 */
export async function probeSpan(rpc: ProbeRpc, filter: LogFilter, head: bigint, configured: number): Promise<SpanProbe> {
  const out: SpanProbe = { accepted: 0, refused: null, stated: null, calls: 0, error: null, timedOut: false };
  const tried = new Set<number>();
  let next: number | undefined = configured;
  while (next !== undefined && out.calls < MAX_SPAN_CALLS) {
    tried.add(next);
    out.calls++;
    const [from, to] = windowEnding(head, next);
    const res = await getLogs(rpc, filter, [NO_SUCH_TOPIC], from, to);
    if (res.ok) out.accepted = Math.max(out.accepted, next);
    else if (res.failure.kind === 'range') {
      out.refused = out.refused === null ? next : Math.min(out.refused, next);
      if (res.failure.maxSpan !== undefined) out.stated = res.failure.maxSpan;
    } else {
      out.error = failureText(res.failure);
      out.timedOut = res.failure.kind === 'transient' && res.failure.timeout;
      break;
    }
    next = nextSpan(out, tried);
  }
  return out;
}

function nextSpan(p: SpanProbe, tried: Set<number>): number | undefined {
  const hi = p.refused ?? Infinity;
  const open = (n: number) => n > p.accepted && n < hi && !tried.has(n);
  if (p.stated !== null && open(p.stated)) return p.stated;
  const between = KNOWN_SPANS.filter(open);
  if (between.length === 0) return undefined;
  if (hi === Infinity) return between.find((n) => n >= p.accepted * 10) ?? between.at(-1);
  return between[Math.floor((between.length - 1) / 2)];
}

export interface ResultProbe {
  /** Most logs one accepted call returned. */
  largestAccepted: number;
  /** Blocks that call covered. */
  acceptedSpan: number;
  /** The provider refused a call as too many results (or too slow, or too large). */
  refused: boolean;
  /** The result cap the provider stated, if it did. */
  stated: number | null;
  /** Whether the logs carried blockTimestamp (null: no log came back to tell). */
  blockTimestamp: boolean | null;
  /** Logs per block near the head, from the sample. */
  density: number;
  calls: number;
  error: string | null;
  timedOut: boolean;
  /** The provider's words when it refused. */
  reason: string | null;
}

/**
 * The result count the provider accepts, gently: one sample near the head
 * (its logs also tell whether the provider adds blockTimestamp), then one
 * call sized from the sample's density to return about 1.2 times the
 * configured cap, within the span the provider accepts. A refused sample is
 * retried at a tenth of its span (twice at most) so the logs can still be
 * looked at. A provider that serves the whole sized call has no cap at that size.
 */
export async function probeResults(rpc: ProbeRpc, filter: LogFilter, head: bigint, maxSpan: number, configuredCap: number): Promise<ResultProbe> {
  const out: ResultProbe = {
    largestAccepted: 0,
    acceptedSpan: 0,
    refused: false,
    stated: null,
    blockTimestamp: null,
    density: 0,
    calls: 0,
    error: null,
    timedOut: false,
    reason: null,
  };
  const attempt = async (span: number): Promise<RpcLog[] | null> => {
    out.calls++;
    const [from, to] = windowEnding(head, span);
    const res = await getLogs(rpc, filter, filter.topics, from, to);
    if (res.ok) {
      if (res.logs.length >= out.largestAccepted) {
        out.largestAccepted = res.logs.length;
        out.acceptedSpan = span;
      }
      if (res.logs.length > 0) out.blockTimestamp = res.logs.every((l) => typeof l.blockTimestamp === 'string');
      return res.logs;
    }
    if (res.failure.kind === 'range') {
      out.refused = true;
      out.reason = res.failure.reason;
      if (res.failure.maxResults !== undefined) out.stated = res.failure.maxResults;
    } else {
      out.error = failureText(res.failure);
      out.timedOut = res.failure.kind === 'transient' && res.failure.timeout;
    }
    return null;
  };

  // Small: on Polygon the synced contracts emit tens of logs a block.
  let sampleSpan = Math.min(maxSpan, SAMPLE_SPAN);
  let sample = await attempt(sampleSpan);
  // Refused already: a tenth of it, twice at most, for a density and a look at the logs' fields.
  for (let shrink = 0; sample === null && out.refused && shrink < 2 && sampleSpan > 1; shrink++) {
    sampleSpan = Math.max(1, Math.floor(sampleSpan / 10));
    sample = await attempt(sampleSpan);
  }
  // Nothing near the head: one wider look before judging the density.
  if (sample !== null && sample.length === 0 && maxSpan > sampleSpan && !out.refused) {
    sampleSpan = Math.min(maxSpan, WIDE_SAMPLE_SPAN);
    sample = await attempt(sampleSpan);
  }
  if (sample === null || sample.length === 0 || out.refused) {
    if (sample !== null && sample.length > 0) out.density = sample.length / sampleSpan;
    return out;
  }
  out.density = sample.length / sampleSpan;
  const want = Math.ceil(configuredCap * 1.2);
  if (sample.length >= want) return out;
  const span = Math.min(maxSpan, Math.ceil(want / out.density));
  if (span > sampleSpan) await attempt(span);
  return out;
}
