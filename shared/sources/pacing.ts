import pThrottle from 'p-throttle';
import type { SourceName } from './source.ts';

/** How fast this process may send requests to one source. */
export interface SourcePace {
  /** Whose allowance: a source, or a list with its own (e.g. 'gamma'). */
  source: SourceName | 'gamma';
  /** This process's share of the source's allowance, in requests per second (may be fractional). */
  requestsPerSecond: number;
}

/**
 * Resolves when this process may send its next request to the source.
 * Rejects with the signal's reason if the signal aborts first; the turn it
 * had reserved then passes unused.
 */
export type Pacer = (signal?: AbortSignal) => Promise<void>;

/** Process-wide, so every client of a source in this process (all local fetchers) draws on one allowance. */
const pacers = new Map<string, Pacer>();
/** Turns each pacer has granted, so a test can tell that every request waited for one. */
const granted = new Map<string, number>();

const pacerKey = (pace: SourcePace) => `${pace.source}@${pace.requestsPerSecond}`;

/** How many turns this process has granted at this pace: one per request sent, retries included. */
export function turnsGranted(pace: SourcePace): number {
  return granted.get(pacerKey(pace)) ?? 0;
}

/** The process-wide pacer of a source at a given rate. */
export function sourcePacer(pace: SourcePace): Pacer {
  // Keyed by rate too: one process never configures two rates for a source, but tests may.
  const key = pacerKey(pace);
  let pacer = pacers.get(key);
  if (!pacer) {
    const spaced = evenlySpacedPacer(pace.requestsPerSecond);
    pacer = async (signal) => {
      await spaced(signal);
      granted.set(key, (granted.get(key) ?? 0) + 1);
    };
    pacers.set(key, pacer);
  }
  return pacer;
}

/**
 * This process's share of a source's total allowance, or undefined (not
 * paced) when the source has no configured limit.
 */
export function shareOfAllowance(source: SourcePace['source'], totalPerSecond: number | undefined, sharedBy: number): SourcePace | undefined {
  if (totalPerSecond === undefined) return undefined;
  return { source, requestsPerSecond: totalPerSecond / sharedBy };
}

/**
 * One turn every 1/rate seconds. Evenly spaced rather than `rate` at once
 * each second: the source's token bucket never has a burst to absorb, and a
 * fractional share (a small allowance split between many processes) works.
 */
function evenlySpacedPacer(requestsPerSecond: number): Pacer {
  if (!Number.isFinite(requestsPerSecond) || requestsPerSecond <= 0) {
    throw new RangeError(`a source pace must be a positive number of requests per second, got ${requestsPerSecond}`);
  }
  const nextTurn = pThrottle({ limit: 1, interval: 1000 / requestsPerSecond })(async () => {});
  return async (signal) => {
    signal?.throwIfAborted();
    await untilAborted(nextTurn(), signal);
  };
}

function untilAborted(turn: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return turn;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void turn.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
