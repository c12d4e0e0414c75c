import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import ky, { HTTPError } from 'ky';
import { afterEach, describe, expect, it } from 'vitest';
import { retryDelay, retryPolicy } from '#shared/retry.ts';
import { kyRetryOptions, sourceHttp, sourceRetryPolicy } from '#shared/sources/http.ts';
import { holdLeft, holdOrigin, waitOutHold } from '#shared/sources/retry-after-hold.ts';
import { since, snapshot } from '#shared/telemetry/counters.ts';
import { sourcePacer } from '#shared/sources/pacing.ts';
import { flushIo, until } from '#test/support/until.ts';

type Reply = { status: number; headers?: Record<string, string> };

interface Scripted {
  url: string;
  requests: () => number;
  /** When each request arrived (Date.now) and at which path. */
  arrivals: { path: string; at: number }[];
  close: () => Promise<void>;
}

/** A server that gives the replies in turn (then 200 {"ok":true}) and counts requests. */
async function scripted(replies: Reply[]): Promise<Scripted> {
  let requests = 0;
  const arrivals: Scripted['arrivals'] = [];
  const server = createServer((req, res) => {
    requests++;
    arrivals.push({ path: req.url ?? '', at: Date.now() });
    const r = replies.shift() ?? { status: 200 };
    res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
    res.end(JSON.stringify(r.status === 200 ? { ok: true } : { error: r.status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests: () => requests,
    arrivals,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const servers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('ky retry options from the retry policy', () => {
  it('carries the policy numbers and uses the policy delay for its backoff', () => {
    const policy = retryPolicy({ maxRetries: 4, baseDelayMs: 100, maxDelayMs: 700, maxRetryAfterMs: 9_000, jitter: 'equal' });
    const options = kyRetryOptions(policy, () => 0);
    expect(options).toMatchObject({ limit: 4, backoffLimit: 700, maxRetryAfter: 9_000, retryOnTimeout: true });
    // ky counts attempts from 1; the policy counts retries from 0.
    expect([1, 2, 3, 4, 5].map((n) => options.delay?.(n))).toEqual([0, 1, 2, 3, 4].map((n) => retryDelay(policy, n, undefined, () => 0)));
    expect(options.jitter).toBeUndefined();
  });

  it('the source client keeps its settings: retries and Retry-After cap from the options, full jitter from 250 ms', () => {
    expect(sourceRetryPolicy({ maxRetries: 3, maxRetryAfterMs: 10_000 })).toMatchObject({
      maxRetries: 3,
      maxRetryAfterMs: 10_000,
      baseDelayMs: 250,
      jitter: 'full',
    });
    expect(sourceRetryPolicy({ maxRetries: 3 }).maxRetryAfterMs).toBe(120_000);
  });

  it('retries 5xx with the backoff until an answer comes', async () => {
    const server = await scripted([{ status: 503 }, { status: 500 }]);
    servers.push(server);
    const http = ky.create({ retry: kyRetryOptions(retryPolicy({ maxRetries: 3, baseDelayMs: 1, maxDelayMs: 1 })) });
    await expect(http.get(server.url).json()).resolves.toEqual({ ok: true });
    expect(server.requests()).toBe(3);
  });

  it('gives up on a Retry-After past the cap instead of waiting it out', async () => {
    const server = await scripted([{ status: 429, headers: { 'retry-after': '3600' } }]);
    servers.push(server);
    const http = sourceHttp({ timeoutMs: 5_000, maxRetries: 5, maxRetryAfterMs: 1_000 });
    const err = await http
      .get(server.url)
      .json()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HTTPError);
    expect((err as HTTPError).response.status).toBe(429);
    expect(server.requests()).toBe(1);
  });

  it('honours a Retry-After within the cap', async () => {
    const server = await scripted([
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 503, headers: { 'retry-after': '0' } },
    ]);
    servers.push(server);
    const http = sourceHttp({ timeoutMs: 5_000, maxRetries: 5, maxRetryAfterMs: 1_000 });
    await expect(http.get(server.url).json()).resolves.toEqual({ ok: true });
    expect(server.requests()).toBe(3);
  });
});

describe('a Retry-After holds the whole origin', () => {
  it('lengthens a hold and never shortens it, per origin, and a wait outlasts a hold that grows meanwhile', async () => {
    let now = 1_000_000;
    const slept: number[] = [];
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        slept.push(ms);
        // While the first wait runs, a second refusal lengthens the hold by 300 ms.
        if (slept.length === 1) holdOrigin('http://held.test/x', ms + 300, clock);
        now += ms;
      },
    };
    holdOrigin('http://held.test/a', 2_000, clock);
    holdOrigin('http://held.test/b?q=1', 500, clock);
    expect(holdLeft('http://held.test/anything', clock)).toBe(2_000);
    expect(holdLeft('http://other.test/a', clock)).toBe(0);
    expect(holdLeft('https://held.test/a', clock)).toBe(0);

    expect(await waitOutHold('http://held.test/c', undefined, clock)).toBe(2_300);
    expect(slept).toEqual([2_000, 300]);
    expect(holdLeft('http://held.test/a', clock)).toBe(0);
    expect(await waitOutHold('http://held.test/c', undefined, clock)).toBe(0);
  });

  it('keeps every other request to that origin, from any client, waiting until it has passed', async () => {
    const server = await scripted([{ status: 429, headers: { 'retry-after': '1' } }]);
    servers.push(server);
    const refusedClient = sourceHttp({ timeoutMs: 5_000, maxRetries: 3, maxRetryAfterMs: 5_000 });
    const before = snapshot();
    const refused = refusedClient.get(`${server.url}refused`).json();
    // The client has read the 429: its counter moves in the hook that starts the hold.
    await until(() => since(before).SourceThrottled === 1);

    const otherClient = sourceHttp({ timeoutMs: 5_000, maxRetries: 0 });
    await expect(otherClient.get(`${server.url}other`).json()).resolves.toEqual({ ok: true });
    await expect(refused).resolves.toEqual({ ok: true });

    const [refusal, other] = [server.arrivals[0], server.arrivals.find((a) => a.path === '/other')];
    // The hold ends a second after the client read the 429, so after the refused request arrived + 1 s.
    // A lower bound only (a millisecond's leeway for rounding); without the hold it arrived at once.
    expect(other!.at).toBeGreaterThanOrEqual(refusal!.at + 1_000 - 2);
    expect(server.arrivals.map((a) => a.path).sort()).toEqual(['/other', '/refused', '/refused']);
  });

  it('holds nothing for a Retry-After past the cap: that request fails instead', async () => {
    const server = await scripted([{ status: 429, headers: { 'retry-after': '3600' } }]);
    servers.push(server);
    const http = sourceHttp({ timeoutMs: 5_000, maxRetries: 5, maxRetryAfterMs: 1_000 });
    await expect(http.get(server.url).json()).rejects.toBeInstanceOf(HTTPError);
    expect(holdLeft(server.url)).toBe(0);
  });

  it('stays abortable while a request waits out a hold, and an aborted wait sends nothing', async () => {
    const held = await scripted([]);
    const free = await scripted([]);
    servers.push(held, free);
    // Named by localhost, an origin no source client in the other tests calls (their servers are named
    // by 127.0.0.1): the hold outlives this test in the shared test process, and must not delay a later
    // server that gets the same port.
    const heldUrl = held.url.replace('127.0.0.1', 'localhost');
    holdOrigin(heldUrl, 60_000);
    const http = sourceHttp({ timeoutMs: 5_000, maxRetries: 0 });
    const controller = new AbortController();
    const waiting = http
      .get(heldUrl, { signal: controller.signal })
      .json()
      .catch((e: unknown) => e);
    // Another origin is not held: two of its requests in turn are answered while the first one still waits.
    for (const _ of [1, 2]) await expect(http.get(free.url.replace('127.0.0.1', 'localhost')).json()).resolves.toEqual({ ok: true });
    controller.abort();
    expect(await waiting).toMatchObject({ name: 'AbortError' });
    expect(held.requests()).toBe(0);
  });

  it('holds a request that was waiting for its turn at the pacer when the Retry-After came', async () => {
    const held = await scripted([]);
    const other = await scripted([]);
    servers.push(held, other);
    // Named by localhost for the reason the test above gives.
    const heldUrl = held.url.replace('127.0.0.1', 'localhost');
    // A rate of its own, so no other test takes its turns.
    const pace = { source: 'markets' as const, requestsPerSecond: 2.5 };
    const http = sourceHttp({ timeoutMs: 5_000, maxRetries: 0, pace });
    await http.get(heldUrl).json();

    const controller = new AbortController();
    const waiting = http
      .get(heldUrl, { signal: controller.signal })
      .json()
      .catch((e: unknown) => e);
    // Nothing but promises lies between the call and the pacer: after a turn of the event loop it waits for its turn there.
    await flushIo(1);
    holdOrigin(heldUrl, 60_000);
    // This probe's turn comes after the waiting request's: once it has come, that request has had its turn.
    await sourcePacer(pace)();
    // And a round trip elsewhere gives a request sent at that turn the time to arrive.
    await expect(sourceHttp({ timeoutMs: 5_000, maxRetries: 0 }).get(other.url).json()).resolves.toEqual({ ok: true });
    expect(held.requests()).toBe(1);

    controller.abort();
    expect(await waiting).toMatchObject({ name: 'AbortError' });
    expect(held.requests()).toBe(1);
  });
});
