import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fillTokenId, generateDataset } from '#simulator/dataset.ts';
import { FaultInjector } from '#simulator/faults.ts';
import { startSubgraphServer, type SubgraphServer } from '#simulator/subgraph-server.ts';
import { flushIo, until } from '#test/support/until.ts';
import { FILL_FIELDS, gql } from './helpers.ts';

const ds = generateDataset({ seed: 31, markets: 10, fills: 300 });
let srv: SubgraphServer;
beforeAll(async () => {
  srv = await startSubgraphServer({ dataset: ds });
});
afterAll(async () => {
  await srv.close();
});
afterEach(() => {
  vi.useRealTimers();
});

const Q = '{ orderFilledEvents(first: 2) { id } }';
const post = (url: string, signal?: AbortSignal): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: Q }), ...(signal ? { signal } : {}) });

describe('fault injection', () => {
  it('answers 429 with Retry-After when configured, and without it otherwise', async () => {
    srv.setFaults({ script: ['429'], retryAfterSeconds: 7 });
    const r = await post(srv.url);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect((await post(srv.url)).status).toBe(200);
    srv.setFaults({ throttle: 1 });
    const r2 = await post(srv.url);
    expect(r2.status).toBe(429);
    expect(r2.headers.get('retry-after')).toBeNull();
    srv.setFaults({});
    expect((await post(srv.url)).status).toBe(200);
  });

  it('answers 500/502/503 at the configured share, deterministically for a seed', async () => {
    srv.setFaults({ serverError: 0.5, seed: 4 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await post(srv.url)).status);
    srv.setFaults({ serverError: 0.5, seed: 4 });
    const again: number[] = [];
    for (let i = 0; i < 40; i++) again.push((await post(srv.url)).status);
    srv.setFaults({});
    expect(again).toEqual(statuses);
    const failed = statuses.filter((s) => s !== 200);
    expect(failed.length).toBeGreaterThan(8);
    expect(failed.length).toBeLessThan(32);
    expect(new Set(failed)).toEqual(new Set([500, 502, 503]));
  });

  it('leaves a request hanging until the client aborts, and close() ends hanging requests', async () => {
    const before = srv.stats.faults.hang;
    srv.setFaults({ script: ['hang'] });
    const controller = new AbortController();
    const hanging = post(srv.url, controller.signal);
    // The server holds the request: nothing answers it until the client gives up.
    await until(() => srv.stats.faults.hang === before + 1);
    controller.abort();
    await expect(hanging).rejects.toThrow(/abort/i);
    // a second server: a hanging request without a client timeout is ended by close()
    const other = await startSubgraphServer({ dataset: ds, faults: { hang: 1 } });
    const pending = post(other.url).then(
      () => 'answered',
      () => 'closed',
    );
    await until(() => other.stats.faults.hang === 1);
    await other.close();
    expect(await pending).toBe('closed');
  });

  it('cuts connections and slows responses', async () => {
    srv.setFaults({ script: ['cut'] });
    await expect(post(srv.url)).rejects.toThrow();
    // The delay runs on a fake clock: the answer cannot come before it has passed, however busy the machine.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const slowBefore = srv.stats.faults.slow;
    srv.setFaults({ script: ['slow'], slowMs: 400 });
    let answered = false;
    const reply = post(srv.url).then((r) => ((answered = true), r));
    await until(async () => (await flushIo(), srv.stats.faults.slow === slowBefore + 1), 0);
    vi.advanceTimersByTime(399);
    await flushIo(50);
    expect(answered).toBe(false);
    vi.advanceTimersByTime(1);
    vi.useRealTimers();
    expect((await reply).status).toBe(200);
    srv.setFaults({});
    expect(srv.stats.faults.cut).toBeGreaterThanOrEqual(1);
    expect(srv.stats.faults.slow).toBe(slowBefore + 1);
  });

  it('rate-limits with a token bucket, answering 429 with Retry-After', async () => {
    // The bucket refills on performance.now(): a fake clock moves it, so the refill is not a wait.
    vi.useFakeTimers({ toFake: ['performance'] });
    srv.setFaults({ rateLimit: { perSecond: 5, burst: 5 } });
    const res = await Promise.all(Array.from({ length: 12 }, () => post(srv.url)));
    const limited = res.filter((r) => r.status === 429);
    expect(res.filter((r) => r.status === 200)).toHaveLength(5);
    expect(limited).toHaveLength(7);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await post(srv.url)).status).toBe(429);
    vi.advanceTimersByTime(200); // one token at 5 per second
    expect((await post(srv.url)).status).toBe(200);
    expect((await post(srv.url)).status).toBe(429);
    srv.setFaults({});
    expect(srv.stats.faults['rate-limited']).toBeGreaterThanOrEqual(8);
  });

  it('draws the same faults for the same seed (unit)', () => {
    const kinds = (seed: number): (string | null)[] => {
      const inj = new FaultInjector({ seed, throttle: 0.2, serverError: 0.2, cut: 0.1 });
      return Array.from({ length: 50 }, () => (inj as unknown as { draw(): string | null }).draw());
    };
    expect(kinds(3)).toEqual(kinds(3));
    expect(kinds(3)).not.toEqual(kinds(4));
  });
});

describe('lying rows', () => {
  it('corrupts the chosen rows in the JSON response, and only them', async () => {
    const pick = ds.fills.slice(0, 6);
    srv.setCorruptions([
      { id: pick[0]!.id, kind: 'missing-field' },
      { id: pick[1]!.id, kind: 'non-numeric-amount' },
      { id: pick[2]!.id, kind: 'no-usdc-leg' },
      { id: pick[3]!.id, kind: 'negative-amount' },
      { id: pick[4]!.id, kind: 'bad-address' },
    ]);
    const ids = JSON.stringify(pick.map((f) => f.id));
    const r = await gql<{ orderFilledEvents: Record<string, string>[] }>(
      srv.url,
      `{ orderFilledEvents(first: 10, where: { id_in: ${ids} }) { ${FILL_FIELDS} } }`,
    );
    srv.setCorruptions([]);
    expect(r.body.errors).toBeUndefined();
    const rows = new Map(r.body.data!.orderFilledEvents.map((x) => [x.id, x]));
    expect(rows.size).toBe(6);
    expect('makerAmountFilled' in rows.get(pick[0]!.id)!).toBe(false);
    expect(rows.get(pick[1]!.id)!.makerAmountFilled).toBe('12abc');
    const noUsdc = rows.get(pick[2]!.id)!;
    expect(noUsdc.makerAssetId).not.toBe('0');
    expect(noUsdc.takerAssetId).not.toBe('0');
    expect(noUsdc.makerAssetId === fillTokenId(pick[2]!) || noUsdc.takerAssetId === fillTokenId(pick[2]!)).toBe(true);
    expect(rows.get(pick[3]!.id)!.makerAmountFilled).toBe('-5');
    expect(rows.get(pick[4]!.id)!.maker).not.toMatch(/^0x[0-9a-f]{40}$/);
    const clean = rows.get(pick[5]!.id)!;
    expect(clean).toEqual({ ...pick[5]!, timestamp: String(pick[5]!.timestamp) });
    // the dataset itself is untouched, and the corruption is gone once cleared
    expect(ds.fills[1]!.makerAmountFilled).toMatch(/^[0-9]+$/);
    const again = await gql<{ orderFilledEvents: Record<string, string>[] }>(
      srv.url,
      `{ orderFilledEvents(where: { id: "${pick[1]!.id}" }) { makerAmountFilled } }`,
    );
    expect(again.body.data!.orderFilledEvents[0]!.makerAmountFilled).toBe(pick[1]!.makerAmountFilled);
    expect(srv.stats.corruptedRows).toBe(5);
  });
});
