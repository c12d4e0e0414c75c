import ky, { isHTTPError, TimeoutError, type BeforeRequestHook, type KyInstance, type RetryOptions as KyRetryOptions } from 'ky';
import { parseRetryAfter, retryDelay, retryPolicy, type RetryPolicy } from '#shared/retry.ts';
import { count } from '#shared/telemetry/counters.ts';
import { noteSourceRetry } from '#shared/telemetry/source-retries.ts';
import { redactUrls } from '#shared/telemetry/redact.ts';
import { sourcePacer, type SourcePace } from './pacing.ts';
import { holdOrigin, waitOutHold } from './retry-after-hold.ts';
import { hostOf, tagSource, type SourceService } from './source-error.ts';

export interface SourceHttpOptions {
  timeoutMs: number;
  maxRetries: number;
  /** Longest Retry-After we honour before treating the source as stalled (ms); default the retry policy's. */
  maxRetryAfterMs?: number;
  /** Largest response body accepted; a bigger one is refused, never buffered. */
  maxResponseBytes?: number;
  /** Every attempt, retries included, waits for its turn at this pace; unset: not paced. */
  pace?: SourcePace | undefined;
  /** The service behind the client, named on its errors (with the host) so a failure says where it happened. */
  service?: SourceService | undefined;
}

export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Statuses worth another try: timeouts, too early, rate limits, server trouble. */
const RETRY_STATUSES = [408, 425, 429, 500, 502, 503, 504];
/** Statuses whose Retry-After is honoured. */
const RETRY_AFTER_STATUSES = [413, 429, 503];

/** The source HTTP client's retry policy: the shared defaults, a quicker first step, full jitter. */
export function sourceRetryPolicy(opts: Pick<SourceHttpOptions, 'maxRetries' | 'maxRetryAfterMs'>): RetryPolicy {
  return retryPolicy({ maxRetries: opts.maxRetries, maxRetryAfterMs: opts.maxRetryAfterMs, baseDelayMs: 250, jitter: 'full' });
}

/**
 * ky's retry options from a retry policy, so the numbers live in the policy.
 * The backoff is the policy's own delay (jitter included, so ky adds none);
 * a Retry-After past the policy's cap fails the request instead of being
 * waited out (ky itself would only shorten the wait to the cap).
 */
export function kyRetryOptions(policy: RetryPolicy, random: () => number = Math.random): KyRetryOptions {
  return {
    limit: policy.maxRetries,
    methods: ['get', 'post'],
    statusCodes: RETRY_STATUSES,
    afterStatusCodes: RETRY_AFTER_STATUSES,
    maxRetryAfter: policy.maxRetryAfterMs,
    backoffLimit: policy.maxDelayMs,
    delay: (attemptCount) => retryDelay(policy, attemptCount - 1, undefined, random),
    retryOnTimeout: true,
    shouldRetry: ({ error }) => {
      if (!isHTTPError(error) || !RETRY_AFTER_STATUSES.includes(error.response.status)) return undefined;
      const after = parseRetryAfter(error.response.headers.get('retry-after'));
      // undefined: ky's own rules decide.
      return after !== undefined && after > policy.maxRetryAfterMs ? false : undefined;
    },
  };
}

/**
 * The one HTTP client every source uses: timeouts, retries on 408/429/5xx,
 * network errors and timeouts with the policy's backoff (sourceRetryPolicy),
 * and Retry-After honoured on 429/503: it holds every request this process
 * sends to that origin, not only the refused one. Queries are reads, so POST is retried too.
 * With a pace, each attempt first waits for its turn, so the source's rate
 * limit is met instead of discovered through 429s.
 */
export function sourceHttp(opts: SourceHttpOptions): KyInstance {
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const service = opts.service;
  const policy = sourceRetryPolicy(opts);
  return ky.create({
    timeout: opts.timeoutMs,
    retry: kyRetryOptions(policy),
    // A refused connection or an unknown host surfaces as a bare TypeError('fetch failed'): mark where it went.
    ...(service ? { fetch: identifiedFetch(service) } : {}),
    hooks: {
      beforeError: [
        async (error) => {
          if (service) tagSource(error, { service, host: hostOf(error.request.url) });
          // Say what the source said: a bare "400 Bad Request" tells an operator nothing.
          const text = await error.response.text().catch(() => '');
          // The URL may carry a provider key: never let it into a message that gets logged.
          error.message = redactUrls(text ? `${error.message}: ${text.slice(0, 500)}` : error.message);
          if (error.stack) error.stack = redactUrls(error.stack);
          return error;
        },
      ],
      beforeRequest: [waitOutOriginHold, ...(opts.pace ? [waitForTurn(opts.pace)] : []), () => void count('SourceRequests')],
      beforeRetry: [
        ({ request, error, retryCount }) => {
          count('SourceRetries');
          if (error instanceof TimeoutError) count('SourceTimeouts');
          if (service) noteSourceRetry({ source: { service, host: hostOf(request.url) }, error, retry: retryCount, maxRetries: opts.maxRetries });
        },
      ],
      afterResponse: [
        (req, _opts, res) => {
          holdOnRetryAfter(req, res, policy);
          if (res.status === 429) count('SourceThrottled');
          else if (res.status >= 500) count('SourceServerErrors');
          const length = Number(res.headers.get('content-length') ?? 0);
          if (length > maxBytes) {
            void res.body?.cancel();
            throw new ResponseTooLargeError(`response of ${length} bytes exceeds the ${maxBytes}-byte limit`);
          }
          if (!res.body) return res;
          return new Response(res.body.pipeThrough(byteLimit(maxBytes)), {
            status: res.status,
            statusText: res.statusText,
            headers: res.headers,
          });
        },
      ],
    },
  });
}

/**
 * Runs first before each attempt, so a request waits out another request's
 * Retry-After before it takes its turn at the pacer. Like the turn, the wait
 * comes before the attempt's timeout starts, and an abort ends it.
 */
const waitOutOriginHold: BeforeRequestHook = async (request) => {
  await waitOutHold(request.url, request.signal);
};

/**
 * A Retry-After the client honours holds every request to the origin, not
 * only the refused one's retry (which waits it out anyway). One past the
 * policy's cap fails its request and holds nothing.
 */
function holdOnRetryAfter(request: Request, response: Response, policy: RetryPolicy): void {
  if (!RETRY_AFTER_STATUSES.includes(response.status)) return;
  const after = parseRetryAfter(response.headers.get('retry-after'));
  if (after !== undefined && after > 0 && after <= policy.maxRetryAfterMs) holdOrigin(request.url, after);
}

/**
 * Runs before each attempt and before ky starts the attempt's timeout, so
 * waiting for a turn never counts against SOURCE_TIMEOUT_MS. The request's
 * signal carries the caller's: an abort ends the wait. A turn can be seconds
 * away at a small share of an allowance, so a Retry-After that came meanwhile
 * is waited out before the request goes.
 */
function waitForTurn(pace: SourcePace): BeforeRequestHook {
  const pacer = sourcePacer(pace);
  return async (request) => {
    await pacer(request.signal);
    await waitOutHold(request.url, request.signal);
  };
}

function identifiedFetch(service: SourceService): typeof fetch {
  return async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (err) {
      const url = input instanceof Request ? input.url : String(input);
      throw tagSource(err, { service, host: hostOf(url) });
    }
  };
}

/** A fetch function over the retrying client, for libraries that take one (graphql-request). */
export function retryingFetch(http: KyInstance): typeof fetch {
  return (input, init) => http(input as Request | string | URL, init as never) as unknown as Promise<Response>;
}

/** Fails a body stream that grows past the limit, for responses that do not announce their length. */
function byteLimit(maxBytes: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) controller.error(new ResponseTooLargeError(`response exceeds the ${maxBytes}-byte limit`));
      else controller.enqueue(chunk);
    },
  });
}
