import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '#simulator/dataset.ts';
import { GAMMA_DEFAULT_MAX_OFFSET, GAMMA_MAX_LIMIT, gammaId, startGammaServer, type GammaServer } from '#simulator/gamma-server.ts';

const ds = generateDataset({ seed: 17, markets: 450, fills: 2000 });
let gamma: GammaServer;
beforeAll(async () => {
  gamma = await startGammaServer({ dataset: ds });
});
afterAll(async () => {
  await gamma.close();
});

type Row = Record<string, unknown>;
interface KeysetBody {
  markets: Row[];
  next_cursor?: string;
}

async function get(path: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  const r = await fetch(`${gamma.url}${path}`);
  return { status: r.status, headers: r.headers, body: await r.json() };
}

async function keysetAll(closed: boolean, limit = 100): Promise<{ rows: Row[]; pages: number }> {
  const rows: Row[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const r = await get(`/markets/keyset?limit=${limit}&closed=${closed}${cursor ? `&after_cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.status).toBe(200);
    const body = r.body as KeysetBody;
    rows.push(...body.markets);
    pages++;
    if (!body.next_cursor) return { rows, pages };
    cursor = body.next_cursor;
  }
}

describe('simulated Gamma market list', () => {
  it('pages /markets/keyset by after_cursor, open and closed apart, with JSON-encoded outcomes and token ids', async () => {
    const open = await keysetAll(false);
    const closed = await keysetAll(true);
    const expectOpen = ds.markets.filter((m) => !m.closed);
    const expectClosed = ds.markets.filter((m) => m.closed);
    expect(open.rows.map((r) => r.conditionId)).toEqual(expectOpen.map((m) => m.conditionId));
    expect(closed.rows.map((r) => r.conditionId)).toEqual(expectClosed.map((m) => m.conditionId));
    expect(open.pages).toBe(Math.ceil(expectOpen.length / 100));
    const m = ds.markets[0]!;
    const row = [...open.rows, ...closed.rows].find((r) => r.conditionId === m.conditionId)!;
    expect(row).toMatchObject({ id: gammaId(0), question: m.question, slug: m.slug, questionID: m.questionId, closed: m.closed, negRisk: m.negRisk });
    expect(typeof row.clobTokenIds).toBe('string');
    expect(JSON.parse(row.clobTokenIds as string)).toEqual(m.tokens.map((t) => t.tokenId));
    expect(JSON.parse(row.outcomes as string)).toEqual(['Yes', 'No']);
    expect(JSON.parse(row.outcomePrices as string)).toHaveLength(2);
  });

  it('defaults to open markets, clamps limit to 100, and ties a cursor to its query', async () => {
    const first = (await get('/markets/keyset?limit=1000')).body as KeysetBody;
    expect(first.markets).toHaveLength(GAMMA_MAX_LIMIT);
    expect(first.markets.every((r) => r.closed === false)).toBe(true);
    const other = await get(`/markets/keyset?closed=true&after_cursor=${first.next_cursor}`);
    expect(other.status).toBe(422);
    expect((await get('/markets/keyset?offset=100')).status).toBe(422);
    expect((await get('/markets/keyset?after_cursor=garbage')).status).toBe(422);
    // `cursor` is not the paging parameter: it is ignored, and page one comes back (the trap real clients fell into)
    const ignored = (await get(`/markets/keyset?limit=1000&cursor=${first.next_cursor}`)).body as KeysetBody;
    expect(ignored.markets.map((r) => r.id)).toEqual(first.markets.map((r) => r.id));
  });

  it('serves the deprecated offset listing as a bare array, with sunset headers, and refuses deep offsets', async () => {
    const r = await get('/markets?limit=5&offset=3&closed=true');
    expect(r.status).toBe(200);
    expect(r.headers.get('deprecation')).toBe('true');
    expect(r.headers.get('warning')).toContain('/markets/keyset');
    expect((r.body as Row[]).map((x) => x.conditionId)).toEqual(
      ds.markets
        .filter((m) => m.closed)
        .slice(3, 8)
        .map((m) => m.conditionId),
    );
    const deep = await get(`/markets?limit=100&offset=${GAMMA_DEFAULT_MAX_OFFSET + 100}`);
    expect(deep.status).toBe(422);
    expect(deep.body).toEqual({ type: 'validation error', error: 'offset too large, use /markets/keyset for deeper pagination' });
  });

  it('hides markets, serves lying rows and shares the fault hooks', async () => {
    const [a, b, c, d] = ds.markets.filter((m) => !m.closed);
    gamma.setHidden([a!.conditionId]);
    gamma.setCorruptions([
      { conditionId: b!.conditionId, kind: 'clob-token-ids-not-json' },
      { conditionId: c!.conditionId, kind: 'outcomes-length-mismatch' },
      { conditionId: d!.conditionId, kind: 'missing-condition-id' },
    ]);
    const { rows } = await keysetAll(false);
    gamma.setHidden([]);
    gamma.setCorruptions([]);
    expect(rows.some((r) => r.conditionId === a!.conditionId)).toBe(false);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const idOf = (cid: string) => gammaId(ds.markets.findIndex((m) => m.conditionId === cid));
    expect(() => JSON.parse(byId.get(idOf(b!.conditionId))!.clobTokenIds as string)).toThrow();
    expect(JSON.parse(byId.get(idOf(c!.conditionId))!.outcomes as string)).toEqual(['Yes']);
    expect('conditionId' in byId.get(idOf(d!.conditionId))!).toBe(false);

    const before = gamma.stats.requests;
    gamma.setFaults({ script: ['429', '503'], retryAfterSeconds: 1 });
    expect((await fetch(`${gamma.url}/markets/keyset`)).status).toBe(429);
    expect((await fetch(`${gamma.url}/markets/keyset`)).status).toBe(503);
    expect((await fetch(`${gamma.url}/markets/keyset`)).status).toBe(200);
    expect(gamma.stats.requests).toBe(before + 3);
    expect(gamma.stats.faults['429']).toBe(1);
  });
});
