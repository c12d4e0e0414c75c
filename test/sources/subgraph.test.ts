import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillTokenId, generateDataset, startSubgraphServer, type Dataset, type SubgraphServer } from '#simulator/index.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSubgraphSource, SourceContractError, type SubgraphSpec } from '#shared/sources/subgraph/index.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import { since, snapshot } from '#shared/telemetry/counters.ts';
import { until } from '#test/support/until.ts';

describe('the orderbook subgraph source', () => {
  let dataset: Dataset;
  let server: SubgraphServer;
  const http = { timeoutMs: 5_000, maxRetries: 3 };

  beforeAll(async () => {
    dataset = generateDataset({ seed: 8, markets: 400, fills: 60_000, topShare: 0.3, burst: { size: 4_000 } });
    server = await startSubgraphServer({ dataset });
  });
  afterAll(() => server?.close());

  async function drain(spec: SubgraphSpec, source = createSubgraphSource({ ...http, url: server.url })) {
    const records: StagedRecord[] = [];
    let cursor: { lastId: string } | null = null;
    do {
      const page = await source.fetchPage(spec, cursor);
      records.push(...page.records);
      cursor = page.next;
    } while (cursor);
    return records;
  }

  it('splits a heavy token into time slices and packs light tokens many to a shard', async () => {
    const source = createSubgraphSource({ ...http, url: server.url, targetRowsPerShard: 5_000 });
    const plan = await source.plan({ watermark: null });
    const heavy = plan.shards.filter((s) => s.label.startsWith('heavy'));
    const light = plan.shards.filter((s) => !s.label.startsWith('heavy'));
    expect(heavy.length).toBeGreaterThan(1);
    expect(light.some((s) => (s.spec.tokens?.length ?? 0) > 20)).toBe(true);
    expect(light.every((s) => s.estimatedRows <= 5_000)).toBe(true);
    // Every token with fills is planned, and the estimates add up to every fill.
    const planned = new Set(plan.shards.flatMap((s) => s.spec.tokens ?? []));
    expect(new Set(dataset.fills.map(fillTokenId))).toEqual(planned);
    expect(plan.shards.reduce((n, s) => n + s.estimatedRows, 0)).toBeGreaterThanOrEqual(dataset.fills.length);
    expect(plan.target).toBe(String(Math.max(...dataset.fills.map((f) => f.timestamp))));
  });

  it('pages every shard to exactly the dataset, including thousands of fills sharing one timestamp, without skip', async () => {
    const source = createSubgraphSource({ ...http, url: server.url, targetRowsPerShard: 5_000 });
    const plan = await source.plan({ watermark: null });
    server.resetStats();
    const ids: string[] = [];
    for (const shard of plan.shards) {
      for (const r of await drain(shard.spec, source)) {
        expect(r.table).toBe('fills');
        if (r.table === 'fills') ids.push(r.row.fill_id);
      }
    }
    expect(ids).toHaveLength(dataset.fills.length);
    expect(new Set(ids)).toEqual(new Set(dataset.fills.map((f) => f.id.toLowerCase())));
    const burst = dataset.burst!;
    expect(dataset.fills.filter((f) => f.timestamp === burst.timestamp).length).toBeGreaterThanOrEqual(4_000);
    expect(server.stats.errors).toBe(0);
    // 1,000 rows a page: close to the minimum number of requests.
    const minimum = plan.shards.reduce((n, s) => n + Math.ceil(s.estimatedRows / 1000), 0);
    expect(server.stats.byRootField.orderFilledEvents).toBeLessThanOrEqual(minimum + plan.shards.length);
  });

  it('refuses a page whose rows are out of id order instead of losing rows', async () => {
    const rows = dataset.fills.slice(0, 3).map((f) => ({ ...f, timestamp: String(f.timestamp) }));
    const [a, b, c] = [...rows].sort((x, y) => (x.id < y.id ? -1 : 1));
    const liar = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { orderFilledEvents: [a, c, b] } }));
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}/`;
      const source = createSubgraphSource({ ...http, url });
      await expect(source.fetchPage({ fromTs: 0, toTs: 2_000_000_000 }, null)).rejects.toThrow(SourceContractError);
      await expect(source.fetchPage({ fromTs: 0, toTs: 2_000_000_000 }, null)).rejects.toThrow(/not in id order/);
    } finally {
      liar.close();
    }
  });

  it('rejects a row with an empty or malformed id instead of failing the page', async () => {
    const good = { ...dataset.fills[0]!, timestamp: String(dataset.fills[0]!.timestamp) };
    const bad = { ...good, id: '' };
    const liar = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { orderFilledEvents: [bad, good] } }));
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    try {
      const source = createSubgraphSource({ ...http, url: `http://127.0.0.1:${(liar.address() as AddressInfo).port}/` });
      const page = await source.fetchPage({ fromTs: 0, toTs: 2_000_000_000 }, null);
      expect(page.records.map((r) => r.table)).toEqual(['rejects', 'fills']);
      expect(page.records[0]!.table === 'rejects' && page.records[0]!.row.reason).toMatch(/id must be/);
      expect(page.next).toBeNull();
    } finally {
      liar.close();
    }
  });

  it('plans nothing new when the watermark is at the head, and only new fills after it', async () => {
    const source = createSubgraphSource({ ...http, url: server.url });
    const head = Math.max(...dataset.fills.map((f) => f.timestamp));
    expect((await source.plan({ watermark: String(head) })).shards).toHaveLength(0);
    const earlier = await source.plan({ watermark: String(head - 600) });
    expect(earlier.shards).toHaveLength(1);
    expect(earlier.shards[0]!.spec).toEqual({ fromTs: head - 600, toTs: head });
  });

  it('rides out 429s (honouring Retry-After), 5xx and cut connections, and counts them', async () => {
    const source = createSubgraphSource({ ...http, url: server.url, maxRetries: 5 });
    const before = snapshot();
    server.setFaults({ retryAfterSeconds: 1, script: ['429', '503', 'cut', '500'] });
    const started = Date.now();
    const page = await source.fetchPage({ fromTs: 0, toTs: 2_000_000_000 }, null);
    const elapsed = Date.now() - started;
    server.setFaults({});
    expect(page.records).toHaveLength(1000);
    const delta = since(before);
    expect(delta.SourceThrottled).toBe(1);
    expect(delta.SourceServerErrors).toBe(2);
    expect(delta.SourceRetries).toBe(4);
    expect(delta.SourceRequests).toBe(5);
    // The 429 asked for a one-second wait, and got it.
    expect(elapsed).toBeGreaterThanOrEqual(1000);
  });

  it("holds the other shard's pages while one waits out a 429's Retry-After, and both pages come whole", async () => {
    const source = createSubgraphSource({ ...http, url: server.url, maxRetries: 3 });
    const early = { fromTs: 0, toTs: 1_000_000_000 };
    const late = { fromTs: 1_000_000_000, toTs: 2_000_000_000 };
    const expected = await Promise.all([source.fetchPage(early, null), source.fetchPage(late, null)]);
    const before = snapshot();
    server.setFaults({ retryAfterSeconds: 1, script: ['429'] });

    const sent = Date.now();
    const refused = source.fetchPage(early, null);
    // The client has read the 429: its counter moves in the hook that starts the hold.
    await until(() => since(before).SourceThrottled === 1);
    const held = await source.fetchPage(late, null);
    // The hold ends a second after the 429 was read, so after `sent` + 1 s. A lower bound only (a
    // millisecond's leeway for rounding): without the hold this page came back at once.
    expect(Date.now()).toBeGreaterThanOrEqual(sent + 1_000 - 2);
    const pages = [await refused, held];
    server.setFaults({});

    expect(pages.map((p) => p.records)).toEqual(expected.map((p) => p.records));
    expect(since(before)).toMatchObject({ SourceThrottled: 1, SourceRetries: 1, SourceRequests: 3 });
  });

  it('gives up on a source that keeps failing, with the status in the error', async () => {
    const source = createSubgraphSource({ ...http, url: server.url, maxRetries: 2 });
    server.setFaults({ script: ['503', '503', '503'] });
    await expect(source.fetchPage({ fromTs: 0, toTs: 2_000_000_000 }, null)).rejects.toThrow(/503/);
    server.setFaults({});
  });
});
