import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import ky, { HTTPError } from 'ky';
import { afterEach, describe, expect, it } from 'vitest';
import { retryDelay, retryPolicy } from '#shared/retry.ts';
import { kyRetryOptions, sourceHttp, sourceRetryPolicy } from '#shared/sources/http.ts';

type Reply = { status: number; headers?: Record<string, string> };

/** A server that gives the replies in turn (then 200 {"ok":true}) and counts requests. */
async function scripted(replies: Reply[]): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    const r = replies.shift() ?? { status: 200 };
    res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
    res.end(JSON.stringify(r.status === 200 ? { ok: true } : { error: r.status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests: () => requests,
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
