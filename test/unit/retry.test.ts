import { describe, expect, it } from 'vitest';
import { abortableSleep, DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelay, retryPolicy, withRetry, type GiveUp, type RetryVerdict } from '#shared/retry.ts';

class Transient extends Error {
  constructor(readonly retryAfterMs?: number) {
    super('transient');
  }
}
class Fatal extends Error {}
class ForTheCaller extends Error {}

const classify = (err: unknown): RetryVerdict => {
  if (err instanceof Transient) return { action: 'retry', retryAfterMs: err.retryAfterMs };
  if (err instanceof Fatal) return { action: 'give-up' };
  return { action: 'rethrow' };
};

/** A sleep that records what it was asked and returns at once. */
function fakeSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/** An operation that throws the given errors in turn, then returns 'done'. */
function failing(...errors: Error[]) {
  const attempts: number[] = [];
  const op = async (attempt: number) => {
    attempts.push(attempt);
    const err = errors.shift();
    if (err) throw err;
    return 'done';
  };
  return { attempts, op };
}

describe('retry policy', () => {
  it('fills unset fields from the defaults and refuses numbers it cannot wait on', () => {
    expect(retryPolicy()).toEqual(DEFAULT_RETRY_POLICY);
    expect(retryPolicy({ maxRetries: 2, baseDelayMs: undefined })).toEqual({ ...DEFAULT_RETRY_POLICY, maxRetries: 2 });
    expect(() => retryPolicy({ maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => retryPolicy({ maxRetries: 1.5 })).toThrow(/maxRetries/);
    expect(() => retryPolicy({ baseDelayMs: Number.NaN })).toThrow(/baseDelayMs/);
    expect(() => retryPolicy({ maxRetryAfterMs: -5 })).toThrow(/maxRetryAfterMs/);
  });
});

describe('retryDelay', () => {
  const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1_000 });

  it('doubles the step per retry up to the cap', () => {
    const none = { ...policy, jitter: 'none' as const };
    expect([0, 1, 2, 3, 4, 10].map((n) => retryDelay(none, n))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('equal jitter stays within [step/2, step]; full jitter within [0, step]', () => {
    expect(retryDelay({ ...policy, jitter: 'equal' }, 2, undefined, () => 0)).toBe(200);
    expect(retryDelay({ ...policy, jitter: 'equal' }, 2, undefined, () => 0.999_999)).toBe(400);
    expect(retryDelay({ ...policy, jitter: 'equal' }, 2, undefined, () => 0.5)).toBe(300);
    expect(retryDelay({ ...policy, jitter: 'full' }, 2, undefined, () => 0)).toBe(0);
    expect(retryDelay({ ...policy, jitter: 'full' }, 2, undefined, () => 0.5)).toBe(200);
  });

  it("waits at least the server's Retry-After, spread by at most min(250 ms, base)", () => {
    expect(retryDelay(policy, 5, 3_000, () => 0)).toBe(3_000);
    expect(retryDelay(policy, 5, 3_000, () => 0.999_999)).toBe(3_100);
    expect(retryDelay({ ...policy, baseDelayMs: 10_000 }, 0, 3_000, () => 0.999_999)).toBe(3_250);
    expect(retryDelay({ ...policy, jitter: 'none' }, 0, 3_000, () => 0.9)).toBe(3_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    const now = Date.parse('Fri, 01 May 2026 00:00:00 GMT');
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(parseRetryAfter(' 0.5 ')).toBe(500);
    expect(parseRetryAfter('Fri, 01 May 2026 00:00:07 GMT', now)).toBe(7_000);
    expect(parseRetryAfter('Thu, 30 Apr 2026 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('withRetry', () => {
  const policy = retryPolicy({ maxRetries: 3, baseDelayMs: 100, maxDelayMs: 10_000, maxRetryAfterMs: 5_000, jitter: 'equal' });

  it('retries transient failures with the policy delays and returns the result', async () => {
    const { waits, sleep } = fakeSleep();
    const { attempts, op } = failing(new Transient(), new Transient());
    const retries: number[] = [];
    const result = await withRetry(op, { policy, classify, sleep, random: () => 0, onRetry: (r) => retries.push(r.retry) });
    expect(result).toBe('done');
    expect(attempts).toEqual([0, 1, 2]);
    expect(waits).toEqual([50, 100]);
    expect(retries).toEqual([1, 2]);
  });

  it('gives up after maxRetries retries, through giveUp', async () => {
    const { waits, sleep } = fakeSleep();
    const { attempts, op } = failing(...Array.from({ length: 10 }, () => new Transient()));
    const given: GiveUp[] = [];
    const err = await withRetry(op, {
      policy,
      classify,
      sleep,
      giveUp: (g) => {
        given.push(g);
        return new Error(`gave up after ${g.attempts}`);
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('gave up after 4');
    expect(attempts).toHaveLength(4);
    expect(waits).toHaveLength(3);
    expect(given[0]).toMatchObject({ why: 'exhausted', attempts: 4 });
    expect(given[0]?.error).toBeInstanceOf(Transient);
  });

  it('without giveUp, throws the last error itself', async () => {
    const last = new Transient();
    const { op } = failing(new Transient(), new Transient(), new Transient(), last);
    await expect(withRetry(op, { policy, classify, sleep: fakeSleep().sleep })).rejects.toBe(last);
  });

  it('a final failure gives up at once; a failure for the caller is rethrown as it is', async () => {
    const given: GiveUp[] = [];
    const fatal = failing(new Transient(), new Fatal('bad params'));
    const { waits, sleep } = fakeSleep();
    await expect(withRetry(fatal.op, { policy, classify, sleep, giveUp: (g) => (given.push(g), new Error('final')) })).rejects.toThrow('final');
    expect(fatal.attempts).toEqual([0, 1]);
    expect(waits).toHaveLength(1);
    expect(given).toMatchObject([{ why: 'final', attempts: 2 }]);

    const refused = new ForTheCaller('split me');
    const forCaller = failing(refused);
    await expect(withRetry(forCaller.op, { policy, classify, sleep, giveUp: () => new Error('not this') })).rejects.toBe(refused);
    expect(forCaller.attempts).toEqual([0]);
  });

  it('honours a Retry-After within the cap and gives up on one beyond it, without waiting', async () => {
    const { waits, sleep } = fakeSleep();
    const { attempts, op } = failing(new Transient(2_000), new Transient(5_001));
    const given: GiveUp[] = [];
    await expect(withRetry(op, { policy, classify, sleep, random: () => 0, giveUp: (g) => (given.push(g), new Error('too long')) })).rejects.toThrow(
      'too long',
    );
    expect(attempts).toEqual([0, 1]);
    expect(waits).toEqual([2_000]);
    expect(given).toMatchObject([{ why: 'retry-after-too-long', retryAfterMs: 5_001, attempts: 2 }]);
  });

  it('an abort ends the wait with the signal reason, and no further attempt runs', async () => {
    const controller = new AbortController();
    const reason = new Error('deadline');
    const { attempts, op } = failing(new Transient(), new Transient());
    // The real sleep, long enough that only the abort can end it.
    const run = withRetry(op, {
      policy: { ...policy, baseDelayMs: 600_000, maxDelayMs: 600_000 },
      classify,
      signal: controller.signal,
      onRetry: () => controller.abort(reason),
    });
    await expect(run).rejects.toBe(reason);
    expect(attempts).toEqual([0]);
  });

  it('a failure after an abort is rethrown unjudged; an aborted signal runs nothing', async () => {
    const controller = new AbortController();
    const failure = new Transient();
    const judged: unknown[] = [];
    const op = async () => {
      controller.abort(new Error('stop'));
      throw failure;
    };
    await expect(withRetry(op, { policy, classify: (e) => (judged.push(e), classify(e)), signal: controller.signal })).rejects.toBe(failure);
    expect(judged).toEqual([]);

    const { attempts, op: never } = failing();
    await expect(withRetry(never, { policy, classify, signal: controller.signal })).rejects.toThrow('stop');
    expect(attempts).toEqual([]);
  });
});

describe('abortableSleep', () => {
  it('resolves, or rejects with the reason of a signal aborted before or during the wait', async () => {
    await expect(abortableSleep(0)).resolves.toBeUndefined();
    const before = new AbortController();
    before.abort(new Error('already'));
    await expect(abortableSleep(600_000, before.signal)).rejects.toThrow('already');
    const during = new AbortController();
    const waiting = abortableSleep(600_000, during.signal);
    during.abort(new Error('now'));
    await expect(waiting).rejects.toThrow('now');
  });
});
