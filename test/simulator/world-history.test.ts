import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FillRow } from '#shared/model/fill.ts';
import { startSimulatedSources } from '#simulator/index.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { FILL_FIELDS, gqlData } from '#test/simulator/helpers.ts';
import { ADDR, readWorld } from '#test/simulator/support/world-logs.ts';
import { fillOf } from '#test/simulator/support/world-rows.ts';

/**
 * The world's history beyond its logs: the subgraph dataset it derives and
 * serves, its extension by newer blocks, and that a seed fixes all of it.
 */

let world: ChainWorld;

beforeAll(async () => {
  world = await startChainWorld({ seed: 11 });
});

afterAll(async () => {
  await world?.close();
});

describe('a simulated Polygon world on an EDR node', () => {
  it('the subgraph dataset has the V1 fills, an order filled twice in one transaction collapsed into one entity with the last values', () => {
    const ds = world.subgraphDataset();
    const v1 = world.expected.fills.filter((f) => f.exchange === ADDR.v1 || f.exchange === ADDR.v1NegRisk);
    const groups = new Map<string, FillRow[]>();
    for (const f of v1) groups.set(`${f.transaction_hash}_${f.order_hash}`, [...(groups.get(`${f.transaction_hash}_${f.order_hash}`) ?? []), f]);
    const twice = [...groups.entries()].filter(([, g]) => g.length > 1);
    expect(twice.length).toBeGreaterThan(0);
    expect(ds.fills).toHaveLength(groups.size);
    expect(new Set(ds.fills.map((f) => f.id)).size).toBe(ds.fills.length);
    for (const [id, g] of twice) {
      const last = g[g.length - 1]!;
      expect(g[0]!.maker_amount_filled).not.toBe(last.maker_amount_filled);
      expect(ds.fills.find((f) => f.id === id)).toMatchObject({
        makerAmountFilled: last.maker_amount_filled,
        takerAmountFilled: last.taker_amount_filled,
        fee: last.fee,
      });
    }
    expect(ds.markets).toBe(world.markets);
  });

  it('the simulated orderbook subgraph serves that history', async () => {
    const ds = world.subgraphDataset();
    const sources = await startSimulatedSources({ dataset: ds });
    try {
      const served: { id: string; makerAmountFilled: string }[] = [];
      for (let last = ''; ;) {
        const page = await gqlData<{ orderFilledEvents: { id: string; makerAmountFilled: string }[] }>(
          sources.subgraphUrl,
          `query($last: ID!) { orderFilledEvents(first: 1000, orderBy: id, where: { id_gt: $last }) { ${FILL_FIELDS} } }`,
          { last },
        );
        served.push(...page.orderFilledEvents);
        if (page.orderFilledEvents.length < 1000) break;
        last = page.orderFilledEvents[page.orderFilledEvents.length - 1]!.id;
      }
      const byId = new Map(ds.fills.map((f) => [f.id, f.makerAmountFilled]));
      expect(served).toHaveLength(ds.fills.length);
      for (const f of served) expect(f.makerAmountFilled).toBe(byId.get(f.id));
      // Its MarketData entities are the registered tokens: none of a market first prepared in V2.
      const data = await gqlData<{ marketDatas: { id: string; condition: string; outcomeIndex: string | null }[] }>(
        sources.subgraphUrl,
        '{ marketDatas(first: 1000, orderBy: id) { id condition outcomeIndex } }',
      );
      const registry = world.expected.tokenClaims.filter((c) => c.source === 'registry');
      expect(data.marketDatas.map((m) => m.id).sort()).toEqual(registry.map((c) => c.token_id).sort());
      expect(data.marketDatas.every((m) => m.outcomeIndex === null)).toBe(true);
    } finally {
      await sources.close();
    }
  });

  it('extend() mines new V2-era events strictly after the previous head and leaves history alone', async () => {
    const before = world.expected;
    const head = before.head;
    const range = await world.extend({ size: { fills: 150, activity: 20 } });
    expect(range.fromBlock).toBe(head.block + 1);
    const after = world.expected;
    expect(after.fills.slice(0, before.fills.length)).toEqual(before.fills);
    expect(after.activity.slice(0, before.activity.length)).toEqual(before.activity);
    const added = after.fills.slice(before.fills.length);
    expect(added.length).toBeGreaterThan(100);
    for (const f of added) {
      expect(f.block_number).toBeGreaterThan(head.block);
      expect(f.timestamp).toBeGreaterThan(head.timestamp);
      expect([ADDR.v2, ADDR.v2NegRisk]).toContain(f.exchange);
    }
    const fresh = await readWorld(world, BigInt(range.fromBlock), BigInt(range.toBlock));
    expect(
      fresh
        .filter((l) => l.name === 'V2.OrderFilled')
        .map(fillOf)
        .map((f) => f.fill_id),
    ).toEqual(added.map((f) => f.fill_id));
  });
});

describe('determinism', () => {
  it('the same seed builds the same chain', async () => {
    const small = {
      seed: 5,
      v1: { fills: 120, activity: 20, markets: 3, negRiskMarkets: 1 },
      v2: { fills: 80, activity: 20, markets: 2, negRiskMarkets: 1 },
      wallets: 10,
      veterans: 3,
    };
    const a = await startChainWorld(small);
    const b = await startChainWorld(small);
    try {
      expect(b.expected).toEqual(a.expected);
      expect(a.traps.doubleFilledOrders).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
