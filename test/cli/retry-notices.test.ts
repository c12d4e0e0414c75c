import { describe, expect, it } from 'vitest';
import { retryNotices } from '#local/cli/retry-notices.ts';
import type { SourceRetry } from '#shared/telemetry/source-retries.ts';

/** A refused connection as fetch reports it: TypeError('fetch failed') around the socket's ECONNREFUSED. */
const refused = () => new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), { code: 'ECONNREFUSED' }) });
const rpc = (retry: number, maxRetries = 8, error: unknown = refused()): SourceRetry => ({
  source: { service: 'polygon-rpc', host: 'rpc.example:8545' },
  error,
  retry,
  maxRetries,
});

function noticesAt(clock: { t: number }) {
  const lines: string[] = [];
  const notice = retryNotices((line) => lines.push(line), { now: () => clock.t });
  return { lines, notice };
}

describe('notices of source retries', () => {
  it('says nothing of a first retry: one is routine', () => {
    const { lines, notice } = noticesAt({ t: 0 });
    notice(rpc(1));
    expect(lines).toEqual([]);
  });

  it('names the service, its host and the cause in words from the second retry, and says how many are left', () => {
    const { lines, notice } = noticesAt({ t: 0 });
    notice(rpc(2));
    expect(lines).toEqual([
      'waiting on the Polygon RPC provider at rpc.example:8545: connection refused (nothing listens at that address and port); retrying (2 of 8)',
    ]);
  });

  it('shows one line per cause in ten seconds, however many requests retry, and always the last retry', () => {
    const clock = { t: 0 };
    const { lines, notice } = noticesAt(clock);
    notice(rpc(2));
    clock.t = 5_000;
    notice(rpc(3));
    notice(rpc(2));
    expect(lines).toHaveLength(1);
    notice(rpc(8));
    expect(lines.at(-1)).toMatch(/retrying \(8 of 8\)$/);
    clock.t = 15_001;
    notice(rpc(4));
    expect(lines).toHaveLength(3);
  });

  it('a different cause is shown at once', () => {
    const { lines, notice } = noticesAt({ t: 0 });
    notice(rpc(2));
    notice(rpc(2, 8, Object.assign(new Error('Too Many Requests'), { status: 429 })));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('the Polygon RPC provider at rpc.example:8545: HTTP 429: rate limited');
  });

  it('an error of no known cause is named by its first line, with any URL in it stripped of its key', () => {
    const { lines, notice } = noticesAt({ t: 0 });
    notice(rpc(2, 8, new Error('unexpected answer from https://rpc.example/v2/SECRETKEY0123456789abcdefgh?key=SECRET')));
    expect(lines[0]).toContain('the Polygon RPC provider at rpc.example:8545: unexpected answer from https://rpc.example/v2/…?…');
    expect(lines[0]).not.toContain('SECRET');
  });
});
