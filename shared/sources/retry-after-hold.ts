import { abortableSleep, type Sleep } from '#shared/retry.ts';

/**
 * A source's Retry-After asks the client to wait, not just the one request it
 * refused: a fetcher pages its shards side by side through one client, and
 * while the refused request waits out a 429 the others must not keep calling.
 *
 * Process-wide and per origin (scheme, host and port), like the pacer: every
 * client of that origin in this process waits, whichever one was refused
 * (the HTTP sources' clients, and every chain RPC client of one provider).
 */
const holds = new Map<string, { until: number; by: object | undefined }>();

export interface HoldOptions {
  /** The clock holds are measured on, ms; default Date.now. */
  now?: (() => number) | undefined;
  sleep?: Sleep | undefined;
  /**
   * The call the Retry-After answered: it waits the Retry-After out in its own
   * retry, so its next attempt does not wait for the hold again.
   */
  by?: object | undefined;
}

const originOf = (url: string) => new URL(url).origin;
const nowOf = (opts: HoldOptions) => (opts.now ?? Date.now)();

/** Starts (or lengthens, never shortens) a hold on the URL's origin for `ms`. */
export function holdOrigin(url: string, ms: number, opts: HoldOptions = {}): void {
  const origin = originOf(url);
  const until = nowOf(opts) + ms;
  if (until > (holds.get(origin)?.until ?? 0)) holds.set(origin, { until, by: opts.by });
}

/** How long the URL's origin is still held, ms (0 when it is not). */
export function holdLeft(url: string, opts: HoldOptions = {}): number {
  const hold = holds.get(originOf(url));
  return hold === undefined ? 0 : Math.max(0, hold.until - nowOf(opts));
}

/**
 * Resolves once no hold is on the URL's origin (or only one that `opts.by`
 * started), waiting out a hold that grows while it waits; rejects with the
 * signal's reason on abort. Returns the ms it waited.
 */
export async function waitOutHold(url: string, signal?: AbortSignal, opts: HoldOptions = {}): Promise<number> {
  const origin = originOf(url);
  const sleep = opts.sleep ?? abortableSleep;
  let waited = 0;
  // The end of the hold already waited for: a wait goes on only for a hold that ends later.
  let waitedUntil = -Infinity;
  for (;;) {
    const hold = holds.get(origin);
    if (!hold || (opts.by !== undefined && hold.by === opts.by) || hold.until <= waitedUntil) return waited;
    const left = hold.until - nowOf(opts);
    if (left <= 0) return waited;
    await sleep(left, signal);
    waited += left;
    waitedUntil = hold.until;
  }
}
