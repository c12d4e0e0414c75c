import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetTotals, generateDataset, startSimulatedSources, type Dataset, type SimulatedSources } from '#simulator/index.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';

describe('malformed rows from the sources', () => {
  let dataset: Dataset;
  let sim: SimulatedSources;
  let p: TestPipeline;
  const kinds = ['missing-field', 'non-numeric-amount', 'no-usdc-leg', 'negative-amount', 'bad-address'] as const;

  beforeAll(async () => {
    dataset = generateDataset({ seed: 21, markets: 150, fills: 8_000 });
    sim = await startSimulatedSources({ dataset });
    p = await startTestPipeline({ ...sim.env, SYNC_SOURCES: 'markets,subgraph' });
  });
  afterAll(async () => {
    await p?.close();
    await sim?.close();
  });

  it('go to the rejects table with their reason and are counted, while the rest of each page loads', async () => {
    const victims = kinds.map((kind, i) => ({ id: dataset.fills[1000 * (i + 1)]!.id, kind }));
    sim.subgraph.setCorruptions(victims);
    sim.markets.setCorruptions([{ conditionId: dataset.markets[7]!.conditionId, kind: 'token-id-not-numeric' }]);

    const result = await p.cycle();
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.counters.RowsRejected).toBe(victims.length + 1);

    const rejects = await p.rows<{ source: string; reason: string; raw: string }>(`SELECT source, reason, raw FROM ${p.database}.rejects ORDER BY raw`);
    expect(rejects).toHaveLength(victims.length + 1);
    for (const v of victims) {
      const r = rejects.find((x) => x.raw.includes(v.id));
      expect(r, `reject for ${v.kind}`).toBeDefined();
      expect(r!.source).toBe('subgraph');
      expect(r!.reason.length).toBeGreaterThan(5);
    }
    const reasons = rejects.map((r) => r.reason).join('\n');
    expect(reasons).toMatch(/makerAmountFilled/);
    expect(reasons).toMatch(/USDC/);
    expect(reasons).toMatch(/maker/);
    expect(rejects.filter((r) => r.source === 'markets')).toHaveLength(1);

    const fills = await p.one<{ n: string; bad: string }>(
      `SELECT count() AS n, countIf(fill_id IN (${victims.map((v) => `'${v.id.toLowerCase()}'`).join(',')})) AS bad FROM ${p.database}.fills`,
    );
    expect(Number(fills.bad)).toBe(0);
    expect(Number(fills.n)).toBe(datasetTotals(dataset).count - victims.length);
    // The CLOB list's row with the bad token is rejected whole; its fills stay, mapped through the other lists.
    const badMarket = dataset.markets[7]!;
    const badMarketFills = dataset.fills.filter((f) => badMarket.tokens.some((t) => t.tokenId === f.makerAssetId || t.tokenId === f.takerAssetId)).length;
    expect(badMarketFills).toBeGreaterThan(0);
    const viaOthers = await p.one<{ unmapped: string; n: string; clob: string }>(
      `SELECT (SELECT countIf(NOT is_mapped) FROM ${p.database}.trades) AS unmapped, countIf(is_mapped) AS n, countIf(has(mapping_sources, 'clob')) AS clob
       FROM ${p.database}.trades WHERE condition_id = '${badMarket.conditionId}'`,
    );
    expect(viaOthers).toEqual({ unmapped: '0', n: String(badMarketFills), clob: '0' });
  });
});
