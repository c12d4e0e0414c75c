import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetTotals, extendDataset, generateDataset, startSimulatedSources, type Dataset, type SimulatedSources } from '#simulator/index.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';

const FILLS = 200_000;
/** A whole cycle over 200,000 fills: about a minute alone, many on a loaded machine; the bound only catches a hang. */
const CYCLE_BOUND_MS = 1_200_000;
const MARKETS = 2_000;

describe('a full backfill, an incremental run and a re-run, on the simulated sources', () => {
  let dataset: Dataset;
  let sim: SimulatedSources;
  let p: TestPipeline;

  beforeAll(async () => {
    dataset = generateDataset({ seed: 42, markets: MARKETS, fills: FILLS });
    sim = await startSimulatedSources({ dataset });
    p = await startTestPipeline({ ...sim.env, SYNC_SOURCES: 'markets,subgraph' });
  });
  afterAll(async () => {
    await p?.close();
    await sim?.close();
  });

  async function expectExactly(ds: Dataset) {
    const totals = datasetTotals(ds);
    const db = p.database;
    const loaded = await p.one<{ n: string; distinct: string; maker: string; taker: string; fee: string; final: string }>(
      `SELECT count() AS n, uniqExact(fill_id) AS distinct, toString(sum(maker_amount_filled)) AS maker,
              toString(sum(taker_amount_filled)) AS taker, toString(sum(fee)) AS fee,
              (SELECT count() FROM ${db}.fills FINAL) AS final
       FROM ${db}.fills`,
    );
    expect(Number(loaded.n)).toBe(totals.count);
    expect(Number(loaded.distinct)).toBe(totals.count);
    expect(Number(loaded.final)).toBe(totals.count);
    expect(BigInt(loaded.maker)).toBe(totals.makerAmountFilled);
    expect(BigInt(loaded.taker)).toBe(totals.takerAmountFilled);
    expect(BigInt(loaded.fee)).toBe(totals.fee);
    const ids = await p.rows<{ fill_id: string }>(`SELECT fill_id FROM ${db}.fills`);
    const expected = new Set([...totals.fillIds].map((id) => id.toLowerCase()));
    expect(ids.every((r) => expected.has(r.fill_id))).toBe(true);
    const trades = await p.one<{ n: string; unmapped: string }>(`SELECT count() AS n, countIf(NOT is_mapped) AS unmapped FROM ${db}.trades`);
    expect(Number(trades.n)).toBe(totals.count);
    expect(Number(trades.unmapped)).toBe(0);
  }

  it(
    `loads exactly the simulator's ${FILLS.toLocaleString()} fills over ${MARKETS.toLocaleString()} markets`,
    async () => {
      const result = await p.cycle({ fetcherConcurrency: 4 });
      expect(result.reason).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.counters.FillsLoaded).toBe(FILLS);
      expect(result.counters.RowsRejected).toBe(0);
      await expectExactly(dataset);
      // Every fill's token is mapped, and derived columns follow the maker's view.
      const sides = await p.one<{ bad: string }>(
        `SELECT countIf((side = 'BUY') != (maker_asset_id = 0) OR token_id != if(side = 'BUY', taker_asset_id, maker_asset_id)
                      OR usdc_amount != if(side = 'BUY', maker_amount_filled, taker_amount_filled)
                      OR price < 0 OR price > 1) AS bad FROM ${p.database}.fills`,
      );
      expect(Number(sides.bad)).toBe(0);
      const markets = await p.one<{ n: string }>(`SELECT count() AS n FROM ${p.database}.markets FINAL`);
      expect(Number(markets.n)).toBe(MARKETS);
    },
    CYCLE_BOUND_MS,
  );

  it(
    'loads only the new fills (including new markets) on the next run, with the minimum of fill requests',
    async () => {
      const NEW_FILLS = 4_321;
      extendDataset(dataset, { seed: 43, newMarkets: 25, newFills: NEW_FILLS });
      sim.subgraph.resetStats();
      const result = await p.cycle();
      expect(result.ok).toBe(true);
      expect(result.counters.FillsLoaded).toBe(NEW_FILLS);
      // Fill pages: the new fills at 1,000 per page, plus the page that finds the end.
      expect(sim.subgraph.stats.byRootField.orderFilledEvents).toBeLessThanOrEqual(Math.ceil(NEW_FILLS / 1000) + 1);
      // No per-token rescan of the whole history.
      expect(sim.subgraph.stats.byRootField.orderbooks ?? 0).toBe(0);
      await expectExactly(dataset);
    },
    CYCLE_BOUND_MS,
  );

  it(
    'changes nothing when run again right after a finished run',
    async () => {
      const before = await p.one<{ fills: string; markets: string; tokens: string }>(
        `SELECT (SELECT count() FROM ${p.database}.fills) AS fills, (SELECT count() FROM ${p.database}.markets) AS markets,
              (SELECT count() FROM ${p.database}.token_claims) AS tokens`,
      );
      sim.subgraph.resetStats();
      const result = await p.cycle();
      expect(result.ok).toBe(true);
      expect(result.counters.FillsLoaded).toBe(0);
      expect(sim.subgraph.stats.byRootField.orderFilledEvents ?? 0).toBe(0);
      const after = await p.one<{ fills: string; markets: string; tokens: string }>(
        `SELECT (SELECT count() FROM ${p.database}.fills) AS fills, (SELECT count() FROM ${p.database}.markets) AS markets,
              (SELECT count() FROM ${p.database}.token_claims) AS tokens`,
      );
      expect(after).toEqual(before);
      await expectExactly(dataset);
    },
    CYCLE_BOUND_MS,
  );
});
