import { describe, expect, it } from 'vitest';
import type { Hex } from 'viem';
import { outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import {
  CTF_EXCHANGE,
  NEG_RISK_EXCHANGE,
  USDC_E,
  V1_LAST_FILL,
  WRAPPED_COLLATERAL,
  datasetTotals,
  extendDataset,
  fillTokenId,
  generateDataset,
  tokenMap,
  type Dataset,
} from '#simulator/dataset.ts';

function perMarketCounts(ds: Dataset): number[] {
  const tokens = tokenMap(ds);
  const counts = new Map<string, number>();
  for (const f of ds.fills) {
    const m = tokens.get(fillTokenId(f));
    expect(m, 'every fill trades a known token').toBeDefined();
    counts.set(m!.market.conditionId, (counts.get(m!.market.conditionId) ?? 0) + 1);
  }
  return ds.markets.map((m) => counts.get(m.conditionId) ?? 0);
}

describe('generateDataset', () => {
  const ds = generateDataset({ seed: 42, markets: 2000, fills: 60_000 });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = generateDataset({ seed: 42, markets: 2000, fills: 60_000 });
    expect(again.fills.length).toBe(ds.fills.length);
    expect(again.fills[12_345]).toEqual(ds.fills[12_345]);
    expect(again.markets).toEqual(ds.markets);
    expect(datasetTotals(again).usdc).toBe(datasetTotals(ds).usdc);
    const other = generateDataset({ seed: 43, markets: 2000, fills: 60_000 });
    expect(other.fills[0]!.id).not.toBe(ds.fills[0]!.id);
    expect(other.markets[0]!.conditionId).not.toBe(ds.markets[0]!.conditionId);
  });

  it('has exactly the requested counts and unique ids of the subgraph shape', () => {
    expect(ds.markets).toHaveLength(2000);
    expect(ds.fills).toHaveLength(60_000);
    const t = datasetTotals(ds);
    expect(t.fillIds.size).toBe(60_000);
    const h32 = /^0x[0-9a-f]{64}$/;
    const addr = /^0x[0-9a-f]{40}$/;
    const pos = /^[1-9][0-9]*$/;
    const bad = ds.fills.filter(
      (f) =>
        f.id !== `${f.transactionHash}_${f.orderHash}` ||
        !h32.test(f.transactionHash) ||
        !h32.test(f.orderHash) ||
        !addr.test(f.maker) ||
        !addr.test(f.taker) ||
        !pos.test(f.makerAmountFilled) ||
        !pos.test(f.takerAmountFilled) ||
        !/^(0|[1-9][0-9]*)$/.test(f.fee) ||
        !Number.isInteger(f.timestamp),
    );
    expect(bad).toEqual([]);
  });

  it('gives every fill one USDC leg and one token leg at a price in [0.01, 0.99]', () => {
    let buys = 0;
    const bad = ds.fills.filter((f) => {
      const buy = f.makerAssetId === '0';
      if (buy) buys++;
      const usdc = Number(buy ? f.makerAmountFilled : f.takerAmountFilled);
      const tokens = Number(buy ? f.takerAmountFilled : f.makerAmountFilled);
      const price = usdc / tokens;
      return buy === (f.takerAssetId === '0') || !(price >= 0.0099 && price <= 0.9901);
    });
    expect(bad).toEqual([]);
    expect(buys / ds.fills.length).toBeGreaterThan(0.4);
    expect(buys / ds.fills.length).toBeLessThan(0.6);
    expect(ds.fills.filter((f) => f.fee === '0').length / ds.fills.length).toBeGreaterThan(0.7);
    expect(ds.fills.some((f) => f.fee !== '0')).toBe(true);
  });

  it('uses the CTF position ids of each condition as token ids, and both outcome tokens trade', () => {
    const traded = new Set(ds.fills.map(fillTokenId));
    const all = new Set<string>();
    for (const m of ds.markets) {
      expect(m.conditionId).toMatch(/^0x[0-9a-f]{64}$/);
      expect(m.tokens.map((t) => t.outcome)).toEqual(['Yes', 'No']);
      for (const t of m.tokens) {
        expect(t.tokenId).toMatch(/^[1-9][0-9]{0,77}$/);
        expect(BigInt(t.tokenId) < 1n << 256n).toBe(true);
        all.add(t.tokenId);
      }
    }
    for (const m of ds.markets.slice(0, 50)) {
      const collateral = m.negRisk ? WRAPPED_COLLATERAL : USDC_E;
      expect(m.tokens.map((t) => t.tokenId)).toEqual(outcomeTokenIds(collateral, m.conditionId as Hex).map(String));
    }
    expect(all.size).toBe(4000);
    // both outcomes of the markets with a few fills trade
    const both = ds.markets.filter((m) => traded.has(m.tokens[0].tokenId) && traded.has(m.tokens[1].tokenId));
    expect(both.length / ds.markets.length).toBeGreaterThan(0.5);
  });

  it('has a heavy tail: every market >= 1 fill, the top one ~10%, most under 100', () => {
    const counts = perMarketCounts(ds).sort((a, b) => b - a);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    expect(counts[0]! / ds.fills.length).toBeGreaterThan(0.08);
    expect(counts[0]! / ds.fills.length).toBeLessThan(0.12);
    expect(counts.filter((c) => c < 100).length / counts.length).toBeGreaterThan(0.8);
    expect(counts[0]!).toBeGreaterThan(10 * counts[Math.floor(counts.length / 2)]!);
  });

  it('has a burst of >= 3000 fills on one timestamp, mostly on one market', () => {
    expect(ds.burst).not.toBeNull();
    const at = ds.fills.filter((f) => f.timestamp === ds.burst!.timestamp);
    expect(at.length).toBe(ds.burst!.size);
    expect(at.length).toBeGreaterThanOrEqual(3000);
    const tokens = tokenMap(ds);
    const onFavoured = at.filter((f) => tokens.get(fillTokenId(f))!.market.conditionId === ds.burst!.conditionId);
    expect(onFavoured.length / at.length).toBeGreaterThan(0.5);
    const small = generateDataset({ seed: 1, markets: 20, fills: 2000 });
    expect(small.burst!.size).toBeGreaterThanOrEqual(120);
    expect(small.burst!.size).toBeLessThan(400);
    expect(generateDataset({ seed: 1, markets: 20, fills: 2000, burst: { size: 700 } }).burst!.size).toBeGreaterThanOrEqual(700);
    expect(generateDataset({ seed: 1, markets: 20, fills: 2000, burst: false }).burst).toBeNull();
  });

  it('groups several fills per transaction, on one timestamp, with the exchange as taker of the taker order', () => {
    const byTx = new Map<string, typeof ds.fills>();
    for (const f of ds.fills) byTx.set(f.transactionHash, [...(byTx.get(f.transactionHash) ?? []), f]);
    const multi = [...byTx.values()].filter((g) => g.length > 1);
    expect(multi.length).toBeGreaterThan(1000);
    for (const g of multi.slice(0, 500)) {
      expect(new Set(g.map((f) => f.timestamp)).size).toBe(1);
      expect(new Set(g.map((f) => f.orderHash)).size).toBe(g.length);
      expect([CTF_EXCHANGE, NEG_RISK_EXCHANGE]).toContain(g[g.length - 1]!.taker);
    }
  });

  it('is sorted by time, within the V1 era, with open, closed and neg-risk markets', () => {
    expect(ds.fills.findIndex((f, i) => i > 0 && f.timestamp < ds.fills[i - 1]!.timestamp)).toBe(-1);
    expect(ds.fills[0]!.timestamp).toBeGreaterThanOrEqual(Date.UTC(2022, 10, 21) / 1000);
    expect(ds.fills.at(-1)!.timestamp).toBeLessThan(V1_LAST_FILL);
    expect(ds.markets.some((m) => m.closed)).toBe(true);
    expect(ds.markets.some((m) => !m.closed)).toBe(true);
    const neg = ds.markets.filter((m) => m.negRisk);
    expect(neg.length).toBeGreaterThan(100);
    for (const m of neg) expect(m.negRiskMarketId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(new Set(neg.map((m) => m.negRiskMarketId)).size).toBeLessThan(neg.length);
    for (const m of ds.markets.filter((x) => !x.negRisk)) expect(m.negRiskMarketId).toBe('');
  });

  it('respects a custom time range and rejects impossible options', () => {
    const small = generateDataset({ seed: 3, markets: 10, fills: 500, startTime: 1_700_000_000, endTime: 1_700_100_000 });
    expect(small.fills.every((f) => f.timestamp >= 1_700_000_000 && f.timestamp <= 1_700_100_000)).toBe(true);
    expect(() => generateDataset({ seed: 1, markets: 10, fills: 5 })).toThrow(/must be >= markets/);
  });

  // How fast is the bench's business (npm run bench generates millions); here only that scale works.
  it('generates 200k fills over 5,000 markets, each fill once', () => {
    const big = generateDataset({ seed: 9, markets: 5000, fills: 200_000 });
    expect(big.fills).toHaveLength(200_000);
    expect(new Set(big.fills.map((f) => f.id)).size).toBe(200_000);
  });
});

describe('extendDataset', () => {
  it('appends later fills on old and new markets, deterministically, bumping the version', () => {
    const make = (): Dataset => generateDataset({ seed: 5, markets: 50, fills: 3000 });
    const ds = make();
    const before = datasetTotals(ds);
    const maxTs = Math.max(...ds.fills.map((f) => f.timestamp));
    const oldTokens = new Set(ds.markets.flatMap((m) => m.tokens.map((t) => t.tokenId)));
    extendDataset(ds, { seed: 9, newMarkets: 5, newFills: 400 });
    expect(ds.version).toBe(1);
    expect(ds.markets).toHaveLength(55);
    expect(ds.fills).toHaveLength(3400);
    const added = ds.fills.slice(3000);
    expect(added.every((f) => f.timestamp > maxTs)).toBe(true);
    expect(added.some((f) => oldTokens.has(fillTokenId(f)))).toBe(true);
    const newCounts = perMarketCounts(ds).slice(50);
    expect(Math.min(...newCounts)).toBeGreaterThanOrEqual(1);
    const after = datasetTotals(ds);
    for (const id of before.fillIds) expect(after.fillIds.has(id)).toBe(true);
    expect(after.fillIds.size).toBe(3400);
    const again = make();
    extendDataset(again, { seed: 9, newMarkets: 5, newFills: 400 });
    expect(again.fills.slice(3000)).toEqual(added);
    extendDataset(ds, { seed: 9, newMarkets: 0, newFills: 10, after: maxTs + 10_000 });
    expect(ds.fills.slice(3400).every((f) => f.timestamp > maxTs + 10_000)).toBe(true);
  });
});
