import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '#simulator/dataset.ts';
import { startSimulatedSources, type SimulatedSources } from '#simulator/index.ts';
import { END_CURSOR, START_CURSOR, decodeCursor, encodeCursor } from '#simulator/markets-server.ts';

const ds = generateDataset({ seed: 41, markets: 2500, fills: 3000 });
let src: SimulatedSources;
beforeAll(async () => {
  src = await startSimulatedSources({ dataset: ds });
});
afterAll(async () => {
  await src.close();
});

interface Page {
  limit: number;
  count: number;
  next_cursor: string;
  data: Record<string, unknown>[];
}

async function page(cursor?: string): Promise<{ status: number; body: Page }> {
  const url = `${src.marketsUrl}/markets${cursor === undefined ? '' : `?next_cursor=${encodeURIComponent(cursor)}`}`;
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as Page };
}

async function all(): Promise<{ rows: Record<string, unknown>[]; cursors: string[] }> {
  const rows: Record<string, unknown>[] = [];
  const cursors: string[] = [];
  let cursor = START_CURSOR;
  while (cursor !== END_CURSOR) {
    cursors.push(cursor);
    const p = await page(cursor);
    expect(p.status).toBe(200);
    rows.push(...p.body.data);
    cursor = p.body.next_cursor;
  }
  return { rows, cursors };
}

describe('simulated CLOB market list', () => {
  it('pages 1000 at a time with base64 offset cursors until LTE=', async () => {
    expect(encodeCursor(0)).toBe('MA==');
    expect(encodeCursor(-1)).toBe('LTE=');
    expect(decodeCursor('MTAwMA==')).toBe(1000);
    expect(decodeCursor('%%%')).toBeNull();
    const { rows, cursors } = await all();
    expect(cursors).toEqual(['MA==', 'MTAwMA==', 'MjAwMA==']);
    expect(rows.map((r) => r.condition_id)).toEqual(ds.markets.map((m) => m.conditionId));
    const first = await page();
    expect(first.body.limit).toBe(1000);
    expect(first.body.count).toBe(1000);
    const m = ds.markets[0]!;
    const row = first.body.data[0]!;
    expect(row).toMatchObject({
      condition_id: m.conditionId,
      question_id: m.questionId,
      question: m.question,
      market_slug: m.slug,
      end_date_iso: m.endDateIso,
      closed: m.closed,
      active: m.active,
      archived: false,
      neg_risk: m.negRisk,
      neg_risk_market_id: m.negRiskMarketId,
    });
    expect((row.tokens as { token_id: string; outcome: string }[]).map((t) => [t.token_id, t.outcome])).toEqual(m.tokens.map((t) => [t.tokenId, t.outcome]));
    const end = await page(END_CURSOR);
    expect(end.body).toMatchObject({ count: 0, data: [], next_cursor: END_CURSOR });
    expect((await fetch(`${src.marketsUrl}/markets?next_cursor=bad!`)).status).toBe(400);
  });

  it('hides markets (their tokens become unmapped)', async () => {
    const hidden = [ds.markets[5]!.conditionId, ds.markets[1500]!.conditionId, ds.markets[2499]!.conditionId];
    src.markets.setHidden(hidden);
    const { rows } = await all();
    src.markets.setHidden([]);
    expect(rows).toHaveLength(2497);
    const ids = new Set(rows.map((r) => r.condition_id));
    for (const h of hidden) expect(ids.has(h)).toBe(false);
  });

  it('serves lying rows on demand', async () => {
    src.markets.setCorruptions([
      { conditionId: ds.markets[0]!.conditionId, kind: 'tokens-not-array' },
      { conditionId: ds.markets[1]!.conditionId, kind: 'token-id-not-numeric' },
      { conditionId: ds.markets[2]!.conditionId, kind: 'missing-condition-id' },
    ]);
    const p = await page(START_CURSOR);
    src.markets.setCorruptions([]);
    expect(Array.isArray(p.body.data[0]!.tokens)).toBe(false);
    expect((p.body.data[1]!.tokens as { token_id: string }[])[0]!.token_id).not.toMatch(/^[0-9]+$/);
    expect('condition_id' in p.body.data[2]!).toBe(false);
    expect(p.body.data[3]!.condition_id).toBe(ds.markets[3]!.conditionId);
  });

  it('shares fault injection and counts requests', async () => {
    const before = src.markets.stats.requests;
    src.markets.setFaults({ script: ['503', '429'], retryAfterSeconds: 2 });
    expect((await fetch(`${src.marketsUrl}/markets`)).status).toBe(503);
    const throttled = await fetch(`${src.marketsUrl}/markets`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect((await fetch(`${src.marketsUrl}/markets`)).status).toBe(200);
    expect(src.markets.stats.requests).toBe(before + 3);
    expect(src.markets.stats.faults['503']).toBe(1);
    expect(src.env.POLYMARKET_MARKETS_URL).toBe(src.marketsUrl);
    expect(src.env.POLYMARKET_SUBGRAPH_URL).toBe(src.subgraphUrl);
  });
});
