import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetTotals, generateDataset, startSimulatedSources, type Dataset, type SimulatedSources } from '#simulator/index.ts';
import { startSimulatedChain, type SimulatedChain } from '#simulator/chain/index.ts';
import type { FillRow } from '#shared/model/fill.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';

const V1_FILLS = 20_000;
const V2_FILLS = 3_000;

describe('history from the subgraph and live fills from the chain, through one pipeline', () => {
  let dataset: Dataset;
  let sim: SimulatedSources;
  let chain: SimulatedChain;
  let p: TestPipeline;

  beforeAll(async () => {
    dataset = generateDataset({ seed: 5, markets: 300, fills: V1_FILLS });
    sim = await startSimulatedSources({ dataset });
    const tokenIds = dataset.markets.flatMap((m) => m.tokens.map((t) => t.tokenId));
    chain = await startSimulatedChain({ seed: 9, fills: V2_FILLS, tokenIds, fillsPerTransaction: 30 });
    p = await startTestPipeline({ ...sim.env, ...chain.env, SYNC_SOURCES: 'markets,subgraph,chain' });
  });
  afterAll(async () => {
    await p?.close();
    await chain?.close();
    await sim?.close();
  });

  const columns =
    'fill_id, source, exchange, block_number, log_index, toUnixTimestamp(timestamp) AS timestamp, transaction_hash, order_hash, maker, taker, ' +
    'toString(maker_asset_id) AS maker_asset_id, toString(taker_asset_id) AS taker_asset_id, toString(maker_amount_filled) AS maker_amount_filled, ' +
    'toString(taker_amount_filled) AS taker_amount_filled, toString(fee) AS fee, toString(token_id) AS token_id, side, ' +
    'toString(usdc_amount) AS usdc_amount, toString(token_amount) AS token_amount, price';

  async function chainRows(): Promise<FillRow[]> {
    const rows = await p.rows<Record<string, string | number>>(`SELECT ${columns} FROM ${p.database}.fills WHERE source = 'chain' ORDER BY fill_id`);
    return rows.map(
      (r) =>
        ({ ...r, block_number: Number(r.block_number), log_index: Number(r.log_index), timestamp: Number(r.timestamp), price: Number(r.price) }) as FillRow,
    );
  }

  it('loads every V1 fill and every V2 fill exactly once, field by field, with no overlap at the seam', async () => {
    const result = await p.cycle();
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    const expected = (await chain.expectedRows()).sort((a, b) => (a.fill_id < b.fill_id ? -1 : 1));
    expect(expected).toHaveLength(V2_FILLS);
    const loaded = await chainRows();
    expect(loaded.map(({ price: _p, ...r }) => r)).toEqual(expected.map(({ price: _p, ...r }) => r));
    for (const [i, row] of loaded.entries()) expect(row.price).toBeCloseTo(expected[i]!.price, 9);
    const totals = await p.one<{ v1: string; v2: string; all: string; distinct: string; unmapped: string }>(
      `SELECT countIf(source = 'subgraph') AS v1, countIf(source = 'chain') AS v2, count() AS all, uniqExact(fill_id) AS distinct,
              (SELECT countIf(NOT is_mapped) FROM ${p.database}.trades) AS unmapped FROM ${p.database}.fills`,
    );
    expect(Number(totals.v1)).toBe(datasetTotals(dataset).count);
    expect(Number(totals.v2)).toBe(V2_FILLS);
    expect(Number(totals.distinct)).toBe(Number(totals.all));
    expect(Number(totals.unmapped)).toBe(0);
  });

  it('fetches only the new blocks on the next run', async () => {
    await chain.emit(450, 77);
    const result = await p.cycle();
    expect(result.ok).toBe(true);
    expect(result.counters.FillsLoaded).toBe(450);
    const loaded = await chainRows();
    const expected = await chain.expectedRows();
    expect(loaded.map((r) => r.fill_id)).toEqual(expected.map((r) => r.fill_id).sort());
  });
});
