import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetTotals, extendDataset, fillTokenId, generateDataset } from '#simulator/dataset.ts';
import { startSubgraphServer, type SubgraphServer } from '#simulator/subgraph-server.ts';
import { FILL_FIELDS, gqlData } from './helpers.ts';

const ds = generateDataset({ seed: 21, markets: 400, fills: 30_000 });
let srv: SubgraphServer;
beforeAll(async () => {
  srv = await startSubgraphServer({ dataset: ds });
});
afterAll(async () => {
  await srv.close();
});

type Row = Record<string, string>;

/** Token groups the way a planner would: heavy tokens alone, light ones batched (<= 500 ids). */
function tokenGroups(): string[][] {
  const counts = new Map<string, number>();
  for (const f of ds.fills) counts.set(fillTokenId(f), (counts.get(fillTokenId(f)) ?? 0) + 1);
  const groups: string[][] = [];
  let cur: string[] = [];
  let n = 0;
  for (const [t, c] of [...counts].sort((a, b) => b[1] - a[1])) {
    if (cur.length && (cur.length >= 500 || n + c > 4000)) {
      groups.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(t);
    n += c;
  }
  if (cur.length) groups.push(cur);
  return groups;
}

async function pageGroup(tokens: string[], from: number, to: number): Promise<Row[]> {
  const out: Row[] = [];
  let last = '';
  for (;;) {
    const data = await gqlData<{ orderFilledEvents: Row[] }>(
      srv.url,
      `query($t: [String!], $a: BigInt, $b: BigInt, $c: ID) { orderFilledEvents(first: 1000, orderBy: id, orderDirection: asc,
        where: { and: [ { or: [ { makerAssetId_in: $t }, { takerAssetId_in: $t } ] }, { timestamp_gt: $a }, { timestamp_lte: $b }, { id_gt: $c } ] }) { ${FILL_FIELDS} } }`,
      { t: tokens, a: String(from), b: String(to), c: last },
    );
    out.push(...data.orderFilledEvents);
    if (data.orderFilledEvents.length < 1000) return out;
    last = data.orderFilledEvents.at(-1)!.id!;
  }
}

describe('paging the subgraph', () => {
  it('returns exactly the dataset through token groups and an id_gt cursor, cheaply', async () => {
    const groups = tokenGroups();
    expect(groups.length).toBeGreaterThan(3);
    srv.resetStats();
    const rows: Row[] = [];
    const mid = ds.burst!.timestamp; // split every group by time at the burst
    for (const g of groups) {
      rows.push(...(await pageGroup(g, 0, mid)), ...(await pageGroup(g, mid, 2_000_000_000)));
    }
    const totals = datasetTotals(ds);
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(totals.count);
    expect(ids.every((id) => id !== undefined && totals.fillIds.has(id))).toBe(true);
    expect(rows.reduce((s, r) => s + BigInt(r.makerAmountFilled!), 0n)).toBe(totals.makerAmountFilled);
    expect(rows.reduce((s, r) => s + BigInt(r.fee!), 0n)).toBe(totals.fee);
    const byId = new Map(ds.fills.map((f) => [f.id, f]));
    for (const r of rows.slice(0, 2000)) expect(r).toEqual({ ...byId.get(r.id!)!, timestamp: String(byId.get(r.id!)!.timestamp) });
    // the fast paths: the engine looked at few more rows than it returned
    expect(srv.stats.rowsReturned).toBe(totals.count);
    expect(srv.stats.rowsScanned).toBeLessThan(3 * totals.count);
  });

  it('loses burst rows with a naive timestamp_gt cursor, but not with the complete (timestamp, id) cursor', async () => {
    const tokens = [...new Set(ds.fills.map(fillTokenId))];
    const heavy = ds.markets.find((m) => m.conditionId === ds.burst!.conditionId)!.tokens.map((t) => t.tokenId);
    const want = ds.fills.filter((f) => heavy.includes(fillTokenId(f))).length;
    expect(want).toBeGreaterThan(2000);
    expect(tokens.length).toBeGreaterThan(2);
    const tokenOr = { or: [{ makerAssetId_in: heavy }, { takerAssetId_in: heavy }] };
    const q = `query($w: OrderFilledEvent_filter) { orderFilledEvents(first: 1000, orderBy: timestamp, orderDirection: asc, where: $w) { id timestamp } }`;
    // naive
    let naive = 0;
    let t = '0';
    for (;;) {
      const d = await gqlData<{ orderFilledEvents: Row[] }>(srv.url, q, { w: { and: [tokenOr, { timestamp_gt: t }] } });
      naive += d.orderFilledEvents.length;
      if (d.orderFilledEvents.length < 1000) break;
      t = d.orderFilledEvents.at(-1)!.timestamp!;
    }
    expect(naive).toBeLessThan(want);
    // complete cursor
    const seen = new Set<string>();
    let cur: { ts: string; id: string } | null = null;
    for (;;) {
      const cursor: Record<string, unknown> = cur ? { or: [{ timestamp_gt: cur.ts }, { timestamp: cur.ts, id_gt: cur.id }] } : {};
      const d: { orderFilledEvents: Row[] } = await gqlData<{ orderFilledEvents: Row[] }>(srv.url, q, { w: { and: [tokenOr, cursor] } });
      for (const r of d.orderFilledEvents) seen.add(r.id!);
      if (d.orderFilledEvents.length < 1000) break;
      const lastRow: Row = d.orderFilledEvents.at(-1)!;
      cur = { ts: lastRow.timestamp!, id: lastRow.id! };
    }
    expect(seen.size).toBe(want);
  });

  it('finds the first and last fill of a token group', async () => {
    const g = tokenGroups()[2]!;
    const mine = ds.fills.filter((f) => g.includes(fillTokenId(f)));
    const q = (dir: string): string =>
      `query($t: [String!]) { orderFilledEvents(first: 1, orderBy: timestamp, orderDirection: ${dir}, where: { or: [ { makerAssetId_in: $t }, { takerAssetId_in: $t } ] }) { id timestamp } }`;
    const first = await gqlData<{ orderFilledEvents: Row[] }>(srv.url, q('asc'), { t: g });
    const last = await gqlData<{ orderFilledEvents: Row[] }>(srv.url, q('desc'), { t: g });
    const ts = mine.map((f) => f.timestamp);
    expect(Number(first.orderFilledEvents[0]!.timestamp)).toBe(Math.min(...ts));
    expect(Number(last.orderFilledEvents[0]!.timestamp)).toBe(Math.max(...ts));
  });

  it('sees fills appended by extendDataset, and _meta moves forward', async () => {
    const small = generateDataset({ seed: 2, markets: 20, fills: 500 });
    const s = await startSubgraphServer({ dataset: small });
    try {
      const meta = async () =>
        (await gqlData<{ _meta: { block: { number: number; timestamp: number } } }>(s.url, '{ _meta { block { number timestamp } } }'))._meta.block;
      const count = async (): Promise<number> => {
        let n = 0;
        let last = '';
        for (;;) {
          const d = await gqlData<{ orderFilledEvents: Row[] }>(s.url, `{ orderFilledEvents(first: 1000, where: { id_gt: "${last}" }) { id } }`);
          n += d.orderFilledEvents.length;
          if (d.orderFilledEvents.length < 1000) return n;
          last = d.orderFilledEvents.at(-1)!.id!;
        }
      };
      const before = await meta();
      expect(await count()).toBe(500);
      extendDataset(small, { seed: 3, newMarkets: 2, newFills: 1200 });
      expect(await count()).toBe(1700);
      const after = await meta();
      expect(after.timestamp).toBeGreaterThan(before.timestamp);
      expect(after.number).toBeGreaterThan(before.number);
      const newest = await gqlData<{ orderFilledEvents: Row[] }>(
        s.url,
        `{ orderFilledEvents(first: 5, orderBy: timestamp, orderDirection: desc, where: { timestamp_gt: "${before.timestamp}" }) { id } }`,
      );
      expect(newest.orderFilledEvents).toHaveLength(5);
      const books = await gqlData<{ orderbooks: Row[]; marketDatas: Row[] }>(s.url, '{ orderbooks(first: 1000) { id } marketDatas(first: 1000) { id } }');
      expect(books.marketDatas).toHaveLength(44);
      expect(books.orderbooks.length).toBeGreaterThan(40);
    } finally {
      await s.close();
    }
  });
});
