import { setTimeout as sleepFor } from 'node:timers/promises';

/**
 * The one way this project retries: a policy (how often, how far apart),
 * the delay it gives for a retry, and a loop that runs an operation under it.
 * The source HTTP client feeds the same policy to ky (see kyRetryOptions in
 * sources/http.ts); JSON-RPC calls and SQS resends run through `withRetry`.
 */

/**
 * How a delay is spread out: `full` anywhere in [0, step], `equal` in
 * [step/2, step] (never much sooner than the step), `none` exactly the step.
 */
export type Jitter = 'none' | 'full' | 'equal';

export interface RetryPolicy {
  /** Retries after the first attempt; 0 never retries. */
  maxRetries: number;
  /** First backoff step; each retry doubles it. */
  baseDelayMs: number;
  /** Cap on one backoff step. */
  maxDelayMs: number;
  /** A server asking to wait longer than this is not waited for: the operation fails and is retried later, elsewhere. */
  maxRetryAfterMs: number;
  jitter: Jitter;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 8,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  jitter: 'equal',
});

/** The default policy with some fields replaced; refuses numbers that cannot be waited on. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const p: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...withoutUndefined(overrides) };
  if (!Number.isInteger(p.maxRetries) || p.maxRetries < 0) throw new RangeError(`retry policy: maxRetries must be a whole number >= 0, got ${p.maxRetries}`);
  for (const k of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
    if (!Number.isFinite(p[k]) || p[k] < 0) throw new RangeError(`retry policy: ${k} must be a number >= 0, got ${p[k]}`);
  }
  return p;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Delay before retry number `retry` (0 = the first retry), in whole ms:
 * the capped exponential step with the policy's jitter, or, when the server
 * said when to come back, that time plus a little jitter (never earlier than
 * asked, and clients told the same time do not all return at once).
 * `random` returns a number in [0, 1).
 */
export function retryDelay(policy: RetryPolicy, retry: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) {
    const spread = policy.jitter === 'none' ? 0 : random() * Math.min(250, policy.baseDelayMs);
    return Math.round(retryAfterMs + spread);
  }
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  switch (policy.jitter) {
    case 'none':
      return Math.round(step);
    case 'full':
      return Math.round(random() * step);
    case 'equal':
      return Math.round(step / 2 + (random() * step) / 2);
  }
}

/**
 * A Retry-After header in ms: delay-seconds or an HTTP date (RFC 9110
 * section 10.2.3); undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * What one failure means:
 * - `retry`: transient; try again after the policy's delay or the server's Retry-After.
 * - `rethrow`: not for this loop to judge (the caller handles it, e.g. splits
 *   a refused range); the error is thrown as it is.
 * - `give-up`: final; retrying cannot help. Thrown through `giveUp`, like exhausted retries.
 */
export type RetryVerdict = { action: 'retry'; retryAfterMs?: number | undefined } | { action: 'rethrow' } | { action: 'give-up' };

export interface GiveUp {
  error: unknown;
  /** Attempts made, the failed one included. */
  attempts: number;
  why: 'final' | 'exhausted' | 'retry-after-too-long';
  /** The server's Retry-After, when it asked for one. */
  retryAfterMs?: number | undefined;
}

export interface RetryAttempt {
  /** The retry about to happen, from 1. */
  retry: number;
  delayMs: number;
  error: unknown;
  retryAfterMs?: number | undefined;
}

/** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const abortableSleep: Sleep = async (ms, signal) => {
  try {
    await sleepFor(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    // Node rejects with its own AbortError; callers tell an abort apart by the signal's reason.
    signal?.throwIfAborted();
    throw err;
  }
};

export interface RetryOptions {
  policy: RetryPolicy;
  classify: (error: unknown) => RetryVerdict;
  /** Ends the waiting and the retrying; an attempt that fails after an abort rethrows its error as it is. */
  signal?: AbortSignal | undefined;
  /** The error to throw when the loop gives up; default: the last error itself. */
  giveUp?: ((g: GiveUp) => unknown) | undefined;
  /** Called before each wait, e.g. to count retries. */
  onRetry?: ((r: RetryAttempt) => void) | undefined;
  sleep?: Sleep | undefined;
  random?: (() => number) | undefined;
}

/** Runs `operation` (given the attempt number, from 0) until it succeeds, a failure is final, or the policy runs out. */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const { policy, signal } = opts;
  const sleep = opts.sleep ?? abortableSleep;
  const fail = (g: GiveUp): never => {
    throw opts.giveUp ? opts.giveUp(g) : g.error;
  };
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      if (signal?.aborted) throw error;
      const verdict = opts.classify(error);
      if (verdict.action === 'rethrow') throw error;
      if (verdict.action === 'give-up') return fail({ error, attempts: attempt + 1, why: 'final' });
      const { retryAfterMs } = verdict;
      if (attempt >= policy.maxRetries) return fail({ error, attempts: attempt + 1, why: 'exhausted', retryAfterMs });
      if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) {
        return fail({ error, attempts: attempt + 1, why: 'retry-after-too-long', retryAfterMs });
      }
      const delayMs = retryDelay(policy, attempt, retryAfterMs, opts.random);
      opts.onRetry?.({ retry: attempt + 1, delayMs, error, retryAfterMs });
      await sleep(delayMs, signal);
    }
  }
}
