import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, type Dataset } from '#simulator/dataset.ts';
import { startGammaServer, type GammaServer } from '#simulator/gamma-server.ts';
import { startMarketsServer, type MarketsServer } from '#simulator/markets-server.ts';
import { listClaims, listedMarkets, type ListClaim, type MarketList } from '#simulator/market-lists.ts';
import { startSubgraphServer, type SubgraphServer } from '#simulator/subgraph-server.ts';
import { tokenClaimRowSchema, type TokenClaimRow } from '#shared/model/ledger.ts';
import { marketRowSchema, type MarketRow } from '#shared/model/market.ts';
import type { RejectRow, StagedRecord } from '#shared/model/staged.ts';
import { createMarketsSource, marketsCursorSchema, marketsSpecSchema, type MarketsCursor, type MarketsSpec } from '#shared/sources/markets/index.ts';

const http = { timeoutMs: 5_000, maxRetries: 2 };

/** Every record of one shard, and how many pages it took. */
async function drain(source: ReturnType<typeof createMarketsSource>, spec: MarketsSpec) {
  const records: StagedRecord[] = [];
  let cursor: MarketsCursor | null = null;
  let pages = 0;
  do {
    const page = await source.fetchPage(marketsSpecSchema.parse(spec), cursor);
    records.push(...page.records);
    // what the fetcher stores between invocations must read back
    cursor = page.next === null ? null : marketsCursorSchema.parse(JSON.parse(JSON.stringify(page.next)));
    pages++;
  } while (cursor);
  return { records, pages };
}

function split(records: StagedRecord[]) {
  const claims: TokenClaimRow[] = [];
  const markets: MarketRow[] = [];
  const rejects: RejectRow[] = [];
  for (const r of records) {
    if (r.table === 'token_claims') claims.push(tokenClaimRowSchema.parse(r.row));
    else if (r.table === 'markets') markets.push(marketRowSchema.parse(r.row));
    else if (r.table === 'rejects') rejects.push(r.row);
    else throw new Error(`a market list staged a ${r.table} row`);
  }
  return { claims, markets, rejects };
}

const asListClaims = (claims: TokenClaimRow[]) =>
  new Map(claims.map((c) => [c.token_id, { tokenId: c.token_id, conditionId: c.condition_id, outcomeIndex: c.outcome_index }]));
const expected = (ds: Dataset, list: MarketList) => new Map([...listClaims(ds, list)].map(([t, c]): [string, ListClaim] => [t, c]));

describe('the markets source over the three simulated lists', () => {
  let ds: Dataset;
  let clob: MarketsServer;
  let gamma: GammaServer;
  let subgraph: SubgraphServer;
  let source: ReturnType<typeof createMarketsSource>;

  beforeAll(async () => {
    ds = generateDataset({
      seed: 31,
      markets: 700,
      fills: 4_000,
      lists: {
        clobMissShare: 0.08,
        disagreements: [
          { list: 'clob', kind: 'outcome' },
          { list: 'gamma', kind: 'condition' },
          { list: 'subgraph', kind: 'condition' },
        ],
      },
    });
    [clob, gamma, subgraph] = await Promise.all([startMarketsServer({ dataset: ds }), startGammaServer({ dataset: ds }), startSubgraphServer({ dataset: ds })]);
    source = createMarketsSource({ ...http, url: clob.url, gammaUrl: gamma.url, subgraphUrl: subgraph.url });
  });
  afterAll(async () => {
    await Promise.all([clob?.close(), gamma?.close(), subgraph?.close()]);
  });

  it('plans one shard per configured list, Gamma twice (open and closed)', async () => {
    const all = await source.plan({ watermark: null });
    expect(all.target).toBeNull();
    expect(all.shards.map((s) => s.spec)).toEqual([{ list: 'clob' }, { list: 'gamma', closed: false }, { list: 'gamma', closed: true }, { list: 'subgraph' }]);
    for (const s of all.shards) expect(marketsSpecSchema.parse(s.spec)).toEqual(s.spec);
    const clobOnly = await createMarketsSource({ ...http, url: clob.url }).plan({ watermark: null });
    expect(clobOnly.shards.map((s) => s.spec)).toEqual([{ list: 'clob' }]);
  });

  it('CLOB: pages to exactly what the list shows, with its winner flags and labels', async () => {
    const { records, pages } = await drain(source, { list: 'clob' });
    const { claims, markets, rejects } = split(records);
    expect(pages).toBe(1);
    expect(rejects).toEqual([]);
    expect(markets.map((m) => m.condition_id)).toEqual(listedMarkets(ds, 'clob').map((m) => m.conditionId));
    expect(asListClaims(claims)).toEqual(expected(ds, 'clob'));
    expect(claims.every((c) => c.source === 'clob' && c.winner !== null && c.outcome === (c.outcome_index === 0 ? 'Yes' : 'No'))).toBe(true);
  });

  it('Gamma: pages /markets/keyset by after_cursor, open and closed, decoding the JSON-encoded outcomes and token ids', async () => {
    const before = gamma.stats.pages;
    const open = await drain(source, { list: 'gamma', closed: false });
    const closed = await drain(source, { list: 'gamma', closed: true });
    const listed = listedMarkets(ds, 'gamma');
    expect(open.pages).toBe(Math.ceil(listed.filter((m) => !m.closed).length / 100));
    expect(gamma.stats.pages - before).toBe(open.pages + closed.pages);
    expect(gamma.stats.offsetRequests).toBe(0);
    const { claims, markets, rejects } = split([...open.records, ...closed.records]);
    expect(rejects).toEqual([]);
    expect(asListClaims(claims)).toEqual(expected(ds, 'gamma'));
    expect(claims.every((c) => c.source === 'gamma' && c.winner === null && c.outcome === (c.outcome_index === 0 ? 'Yes' : 'No'))).toBe(true);
    const m = listed.find((x) => x.negRisk && x.closed)!;
    expect(markets.find((r) => r.condition_id === m.conditionId)).toEqual({
      condition_id: m.conditionId,
      question_id: m.questionId,
      question: m.question,
      slug: m.slug,
      end_date: m.endDateIso ? Date.parse(m.endDateIso) / 1000 : null,
      closed: true,
      neg_risk: true,
      neg_risk_market_id: m.negRiskMarketId,
    });
    expect(markets).toHaveLength(listed.length);
  });

  it('Gamma: turns each malformed row into one reject and keeps the rest of the page', async () => {
    const open = listedMarkets(ds, 'gamma').filter((m) => !m.closed);
    const bad = open.slice(0, 4);
    gamma.setCorruptions([
      { conditionId: bad[0]!.conditionId, kind: 'clob-token-ids-not-json' },
      { conditionId: bad[1]!.conditionId, kind: 'outcomes-length-mismatch' },
      { conditionId: bad[2]!.conditionId, kind: 'missing-condition-id' },
      { conditionId: bad[3]!.conditionId, kind: 'token-id-not-numeric' },
    ]);
    try {
      const { claims, markets, rejects } = split((await drain(source, { list: 'gamma', closed: false })).records);
      expect(rejects).toHaveLength(4);
      expect(rejects.every((r) => r.source === 'markets/gamma')).toBe(true);
      expect(rejects.map((r) => r.reason.split(':')[0])).toEqual(['clobTokenIds', 'outcomes', 'conditionId', 'clobTokenIds.0']);
      expect(JSON.parse(rejects[0]!.raw)).toMatchObject({ conditionId: bad[0]!.conditionId });
      expect(markets).toHaveLength(open.length - 4);
      const badTokens = new Set(bad.flatMap((m) => m.tokens.map((t) => t.tokenId)));
      expect(claims.some((c) => badTokens.has(c.token_id))).toBe(false);
    } finally {
      gamma.setCorruptions([]);
    }
  });

  it('subgraph: pages more than 1000 marketDatas by id_gt into claims without outcome index', async () => {
    subgraph.resetStats();
    const { records, pages } = await drain(source, { list: 'subgraph' });
    expect(pages).toBe(2);
    expect(subgraph.stats.byRootField.marketDatas).toBe(2);
    const { claims, markets, rejects } = split(records);
    expect(markets).toEqual([]);
    expect(rejects).toEqual([]);
    expect(claims).toHaveLength(1400);
    expect(claims.every((c) => c.source === 'subgraph' && c.outcome_index === null && c.outcome === '')).toBe(true);
    const want = new Map([...expected(ds, 'subgraph')].map(([t, c]) => [t, { ...c, outcomeIndex: null }]));
    expect(asListClaims(claims)).toEqual(want);

    const small = createMarketsSource({ ...http, url: clob.url, subgraphUrl: subgraph.url, subgraphPageSize: 300 });
    const paged = await drain(small, { list: 'subgraph' });
    expect(paged.pages).toBe(5);
    expect(asListClaims(split(paged.records).claims)).toEqual(want);
  });

  it('subgraph: rejects a malformed marketData and still moves its cursor past it', async () => {
    const ids = [...listClaims(ds, 'subgraph').keys()].sort();
    const lastOfFirstPage = ids[999]!;
    subgraph.setCorruptions([{ id: lastOfFirstPage, kind: 'bad-condition' }]);
    try {
      const { claims, rejects } = split((await drain(source, { list: 'subgraph' })).records);
      expect(rejects).toHaveLength(1);
      expect(rejects[0]).toMatchObject({ source: 'markets/subgraph' });
      expect(rejects[0]!.reason).toMatch(/^condition:/);
      expect(JSON.parse(rejects[0]!.raw)).toMatchObject({ id: lastOfFirstPage, condition: '0x1234' });
      expect(claims).toHaveLength(1399);
    } finally {
      subgraph.setCorruptions([]);
    }
  });

  it('refuses a cursor of another list', async () => {
    await expect(source.fetchPage({ list: 'gamma', closed: false }, { lastId: '5' })).rejects.toThrow(/another list's cursor/);
    await expect(createMarketsSource({ ...http, url: clob.url }).fetchPage({ list: 'subgraph' }, null)).rejects.toThrow(/no subgraph URL/);
  });
});

describe('the subgraph list, when it reports outcome indexes', () => {
  it('keeps them on the claims', async () => {
    const ds = generateDataset({ seed: 3, markets: 20, fills: 100 });
    const server = await startSubgraphServer({ dataset: ds });
    try {
      const source = createMarketsSource({ ...http, url: 'http://127.0.0.1:9', subgraphUrl: server.url });
      const { claims } = split((await drain(source, { list: 'subgraph' })).records);
      expect(asListClaims(claims)).toEqual(expected(ds, 'subgraph'));
    } finally {
      await server.close();
    }
  });
});
