import { abortableSleep, type Sleep } from '#shared/retry.ts';

/**
 * A source's Retry-After asks the client to wait, not just the one request it
 * refused: a fetcher pages its shards side by side through one client, and
 * while the refused request waits out a 429 the others must not keep calling.
 *
 * Process-wide and per origin (scheme, host and port), like the pacer: every
 * client of that origin in this process waits, whichever one was refused.
 */
const heldUntil = new Map<string, number>();

export interface HoldClock {
  /** The clock holds are measured on, ms; default Date.now. */
  now?: () => number;
  sleep?: Sleep;
}

/** Starts (or lengthens, never shortens) a hold on the URL's origin for `ms`. */
export function holdOrigin(url: string, ms: number, clock: HoldClock = {}): void {
  const origin = new URL(url).origin;
  const until = (clock.now ?? Date.now)() + ms;
  if (until > (heldUntil.get(origin) ?? 0)) heldUntil.set(origin, until);
}

/** How long the URL's origin is still held, ms (0 when it is not). */
export function holdLeft(url: string, clock: HoldClock = {}): number {
  const until = heldUntil.get(new URL(url).origin);
  return until === undefined ? 0 : Math.max(0, until - (clock.now ?? Date.now)());
}

/**
 * Resolves once no hold is on the URL's origin, waiting out a hold that
 * starts or grows while it waits; rejects with the signal's reason on abort.
 * Returns the ms it waited.
 */
export async function waitOutHold(url: string, signal?: AbortSignal, clock: HoldClock = {}): Promise<number> {
  const sleep = clock.sleep ?? abortableSleep;
  let waited = 0;
  for (let left = holdLeft(url, clock); left > 0; left = holdLeft(url, clock)) {
    await sleep(left, signal);
    waited += left;
  }
  return waited;
}
