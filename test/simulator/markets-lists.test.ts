import { afterAll, describe, expect, it } from 'vitest';
import { extendDataset, generateDataset, type Dataset } from '#simulator/dataset.ts';
import { startGammaServer } from '#simulator/gamma-server.ts';
import { startMarketsServer } from '#simulator/markets-server.ts';
import { listClaims, listKnows, unlistedConditionIds } from '#simulator/market-lists.ts';
import { startSubgraphServer } from '#simulator/subgraph-server.ts';
import { gqlData } from './helpers.ts';

/** Markets in order of their first fill. */
function byFirstTrade(ds: Dataset): string[] {
  const owner = new Map(ds.markets.flatMap((m) => m.tokens.map((t) => [t.tokenId, m.conditionId] as const)));
  const seen = new Set<string>();
  for (const f of ds.fills) seen.add(owner.get(f.makerAssetId) ?? owner.get(f.takerAssetId)!);
  return [...seen];
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});

describe('market list coverage of the simulated dataset', () => {
  const opts = { seed: 23, markets: 1200, fills: 20_000 };
  const plain = generateDataset(opts);
  const ds = generateDataset({
    ...opts,
    lists: {
      disagreements: [
        { list: 'clob', kind: 'condition' },
        { list: 'gamma', kind: 'outcome' },
      ],
    },
  });

  it('is off by default, and turning it on changes no market or fill', () => {
    expect(plain.lists).toBeUndefined();
    expect(unlistedConditionIds(plain)).toEqual([]);
    expect(ds.markets).toEqual(plain.markets);
    expect(ds.fills).toEqual(plain.fills);
  });

  it('leaves >= 5% of traded markets out of the CLOB list, some among the first to trade and some among the last', () => {
    const clobOmits = ds.lists!.omitted.clob;
    expect(clobOmits.size / ds.markets.length).toBeGreaterThanOrEqual(0.05);
    const order = byFirstTrade(ds);
    const rank = new Map(order.map((c, i) => [c, i / order.length]));
    const ranks = [...clobOmits].map((c) => rank.get(c)!);
    expect(ranks.filter((r) => r < 1 / 3).length).toBeGreaterThan(0);
    expect(ranks.filter((r) => r >= 2 / 3).length).toBeGreaterThan(0);
  });

  it('lets Gamma know some of what the CLOB list lacks, and some markets no list knows', () => {
    const clobOmits = [...ds.lists!.omitted.clob];
    const gammaKnows = clobOmits.filter((c) => listKnows(ds, 'gamma', c));
    expect(gammaKnows.length).toBeGreaterThan(0);
    expect(gammaKnows.length).toBeLessThan(clobOmits.length);
    // the subgraph knows every token by default, so nothing is unknown to all three lists
    expect(unlistedConditionIds(ds)).toEqual([]);
    const sparse = generateDataset({ ...opts, lists: { subgraphMissShare: 1 } });
    expect(unlistedConditionIds(sparse).sort()).toEqual([...sparse.lists!.omitted.clob].filter((c) => sparse.lists!.omitted.gamma.has(c)).sort());
    expect(unlistedConditionIds(sparse).length).toBeGreaterThan(0);
  });

  it('records each injected disagreement as the claims the list makes', () => {
    const [cond, outcome] = ds.lists!.disagreements;
    expect(cond).toMatchObject({ list: 'clob', kind: 'condition' });
    expect(outcome).toMatchObject({ list: 'gamma', kind: 'outcome' });
    const truth = new Map(ds.markets.flatMap((m) => m.tokens.map((t, i) => [t.tokenId, { conditionId: m.conditionId, outcomeIndex: i }] as const)));
    for (const d of [cond!, outcome!]) {
      const claims = listClaims(ds, d.list);
      expect(d.claims).toHaveLength(2);
      for (const c of d.claims) {
        expect(claims.get(c.tokenId)).toEqual(c);
        const real = truth.get(c.tokenId)!;
        if (d.kind === 'condition') expect(c.conditionId).not.toBe(real.conditionId);
        else expect([c.conditionId, c.outcomeIndex]).toEqual([real.conditionId, 1 - real.outcomeIndex]);
      }
    }
    // every other claim of every list is true
    for (const list of ['clob', 'gamma', 'subgraph'] as const) {
      const wrong = [...listClaims(ds, list).values()].filter((c) => {
        const real = truth.get(c.tokenId)!;
        return real.conditionId !== c.conditionId || real.outcomeIndex !== c.outcomeIndex;
      });
      expect(wrong.map((c) => c.tokenId).sort()).toEqual(
        ds
          .lists!.disagreements.filter((d) => d.list === list)
          .flatMap((d) => d.claims.map((c) => c.tokenId))
          .sort(),
      );
    }
  });

  it('is served by each simulated list: the CLOB and Gamma rows, and the subgraph marketDatas without outcome index', async () => {
    const clob = await startMarketsServer({ dataset: ds });
    const gamma = await startGammaServer({ dataset: ds });
    const subgraph = await startSubgraphServer({ dataset: ds });
    closers.push(clob.close, gamma.close, subgraph.close);

    const clobRows: { condition_id: string; tokens: { token_id: string }[] }[] = [];
    for (let cursor = 'MA=='; cursor !== 'LTE=';) {
      const page = (await (await fetch(`${clob.url}/markets?next_cursor=${cursor}`)).json()) as { data: typeof clobRows; next_cursor: string };
      clobRows.push(...page.data);
      cursor = page.next_cursor;
    }
    const clobServed = new Map(
      clobRows.flatMap((r) => r.tokens.map((t, i) => [t.token_id, { tokenId: t.token_id, conditionId: r.condition_id, outcomeIndex: i }] as const)),
    );
    expect(clobServed).toEqual(listClaims(ds, 'clob'));

    const gammaServed = new Map<string, { tokenId: string; conditionId: string; outcomeIndex: number }>();
    for (const closed of [false, true]) {
      let after = '';
      for (;;) {
        const page = (await (await fetch(`${gamma.url}/markets/keyset?limit=100&closed=${closed}${after}`)).json()) as {
          markets: { conditionId: string; clobTokenIds: string }[];
          next_cursor?: string;
        };
        for (const m of page.markets) {
          (JSON.parse(m.clobTokenIds) as string[]).forEach((t, i) => gammaServed.set(t, { tokenId: t, conditionId: m.conditionId, outcomeIndex: i }));
        }
        if (!page.next_cursor) break;
        after = `&after_cursor=${page.next_cursor}`;
      }
    }
    expect(gammaServed).toEqual(listClaims(ds, 'gamma'));

    const datas = await gqlData<{ marketDatas: { id: string; condition: string; outcomeIndex: string | null }[] }>(
      subgraph.url,
      '{ marketDatas(first: 1000, where: { id_gt: "" }, orderBy: id) { id condition outcomeIndex } }',
    );
    expect(datas.marketDatas).toHaveLength(1000);
    expect(datas.marketDatas.every((d) => d.outcomeIndex === null)).toBe(true);
    const expected = listClaims(ds, 'subgraph');
    for (const d of datas.marketDatas) expect(expected.get(d.id)?.conditionId).toBe(d.condition);
  });

  it('draws omissions for the markets extendDataset adds, deterministically', () => {
    const make = () => generateDataset({ seed: 5, markets: 100, fills: 1000, lists: { clobMissShare: 0.2 } });
    const a = make();
    const b = make();
    const before = a.lists!.omitted.clob.size;
    extendDataset(a, { seed: 5, newMarkets: 50, newFills: 200 });
    extendDataset(b, { seed: 5, newMarkets: 50, newFills: 200 });
    const fresh = new Set(a.markets.slice(100).map((m) => m.conditionId));
    const newlyOmitted = [...a.lists!.omitted.clob].filter((c) => fresh.has(c));
    expect(a.lists!.omitted.clob.size).toBe(before + newlyOmitted.length);
    expect(newlyOmitted.length).toBe(10);
    expect([...a.lists!.omitted.clob]).toEqual([...b.lists!.omitted.clob]);
  });
});
