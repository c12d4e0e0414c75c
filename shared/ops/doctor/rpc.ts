import { createPublicClient, http } from 'viem';
import { classifyRpcError, type RpcFailure } from '#shared/sources/chain/errors.ts';
import { abortableSleep } from '#shared/retry.ts';
import { causeText } from './types.ts';

/** The source HTTP client's own ceiling (shared/sources/http.ts). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export type RpcAnswer<T> =
  | { ok: true; value: T; ms: number }
  /** `cause`: the error and what lies under it (the network's own words), for a host that cannot be reached. */
  | { ok: false; failure: RpcFailure; ms: number; cause: string };

export interface ProbeRpc {
  /**
   * One JSON-RPC call; a rate limit or a dropped connection is tried again a
   * few times, anything else (a timeout included: the doctor reports a slow
   * provider rather than waiting on it) comes back as it is.
   */
  call<T>(method: string, params?: unknown[]): Promise<RpcAnswer<T>>;
  /** 429 answers met by call() (the rate probe counts its own). */
  readonly throttled: number;
}

export interface ProbeRpcOptions {
  url: string;
  timeoutMs: number;
  /** Attempts per call for transient failures (default 3). */
  attempts?: number;
  /** Longest wait between attempts, whatever Retry-After asks (default 2 s): the doctor reports a slow provider, it does not wait it out. */
  maxWaitMs?: number;
}

/**
 * The doctor's JSON-RPC client: viem's http transport with its own retries
 * off, failures read by the chain source's classifier (so a refused range,
 * a rate limit and a fatal error mean here what they mean to the sync).
 */
export function probeRpc(opts: ProbeRpcOptions): ProbeRpc {
  // viem refuses bodies over 10 MiB by default; the result probe asks for about 1.2 x 10,000 logs, which can be more.
  const client = createPublicClient({ transport: http(opts.url, { retryCount: 0, timeout: opts.timeoutMs, maxResponseBodySize: MAX_RESPONSE_BYTES }) });
  const attempts = opts.attempts ?? 3;
  const maxWaitMs = opts.maxWaitMs ?? 2_000;
  let throttled = 0;
  return {
    get throttled() {
      return throttled;
    },
    async call<T>(method: string, params: unknown[] = []): Promise<RpcAnswer<T>> {
      for (let attempt = 1; ; attempt++) {
        const start = performance.now();
        try {
          const value = (await client.request({ method, params } as never)) as T;
          return { ok: true, value, ms: Math.round(performance.now() - start) };
        } catch (err) {
          const failure = classifyRpcError(err);
          const ms = Math.round(performance.now() - start);
          if (failure.kind === 'transient' && failure.rateLimited) throttled++;
          if (failure.kind !== 'transient' || failure.timeout || attempt >= attempts) return { ok: false, failure, ms, cause: causeText(err) };
          await abortableSleep(Math.min(maxWaitMs, failure.retryAfterMs ?? 250 * attempt));
        }
      }
    },
  };
}

/** A failure in words, for a check's detail line. */
export function failureText(f: RpcFailure): string {
  if (f.kind === 'transient' && f.rateLimited) return `rate limited (429): ${f.reason}`;
  if (f.kind === 'transient' && f.timeout) return `timed out: ${f.reason}`;
  return f.reason;
}
