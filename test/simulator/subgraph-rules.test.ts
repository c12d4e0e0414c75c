import fc from 'fast-check';
import { ORDER_FILLED_EVENT_FIELDS } from '#test/support/order-filled-fields.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillTokenId, generateDataset, type SimFill } from '#simulator/dataset.ts';
import { startSubgraphServer, type SubgraphServer } from '#simulator/subgraph-server.ts';
import { FILL_FIELDS, gql, gqlData } from './helpers.ts';

// A small dataset with a burst (ties on timestamp) and many fee "0" ties.
const ds = generateDataset({ seed: 11, markets: 30, fills: 600, burst: { size: 80 } });
let srv: SubgraphServer;
let asc: SubgraphServer;

beforeAll(async () => {
  srv = await startSubgraphServer({ dataset: ds });
  asc = await startSubgraphServer({ dataset: ds, tieBreak: 'asc' });
});
afterAll(async () => {
  await srv.close();
  await asc.close();
});

// ------------------------------------------------------------ a reference

const BIG = new Set(['timestamp', 'makerAmountFilled', 'takerAmountFilled', 'fee']);
type Where = Record<string, unknown>;

function value(f: SimFill, field: string): string {
  return String((f as unknown as Record<string, unknown>)[field]);
}

function cmp(field: string, a: string, b: string): number {
  if (BIG.has(field)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function matches(f: SimFill, where: Where): boolean {
  return Object.entries(where).every(([key, v]) => {
    if (key === 'and') return (v as Where[]).every((w) => matches(f, w));
    if (key === 'or') return (v as Where[]).some((w) => matches(f, w));
    const m = /^(.*?)(_not_in|_in|_not|_gte|_gt|_lte|_lt)?$/.exec(key)!;
    const field = m[1]!;
    const op = m[2] ?? '';
    const x = value(f, field);
    if (op === '_in') return (v as string[]).some((y) => cmp(field, x, y) === 0);
    if (op === '_not_in') return (v as string[]).every((y) => cmp(field, x, y) !== 0);
    const c = cmp(field, x, String(v));
    return op === '' ? c === 0 : op === '_not' ? c !== 0 : op === '_gt' ? c > 0 : op === '_gte' ? c >= 0 : op === '_lt' ? c < 0 : c <= 0;
  });
}

interface Args {
  first?: number;
  skip?: number;
  orderBy?: string;
  orderDirection?: 'asc' | 'desc';
  where?: Where;
}

function reference(args: Args, tie: 'same' | 'asc' = 'same'): string[] {
  const orderBy = args.orderBy ?? 'id';
  const sign = args.orderDirection === 'desc' ? -1 : 1;
  const tieSign = tie === 'asc' ? 1 : sign;
  return ds.fills
    .filter((f) => !args.where || matches(f, args.where))
    .sort((a, b) => sign * cmp(orderBy, value(a, orderBy), value(b, orderBy)) || tieSign * cmp('id', a.id, b.id))
    .slice(args.skip ?? 0, (args.skip ?? 0) + (args.first ?? 100))
    .map((f) => f.id);
}

const QUERY = `query Q($first: Int, $skip: Int, $orderBy: OrderFilledEvent_orderBy, $orderDirection: OrderDirection, $where: OrderFilledEvent_filter) {
  orderFilledEvents(first: $first, skip: $skip, orderBy: $orderBy, orderDirection: $orderDirection, where: $where) { id }
}`;

async function ask(args: Args, server = srv): Promise<string[]> {
  const data = await gqlData<{ orderFilledEvents: { id: string }[] }>(server.url, QUERY, { ...args });
  return data.orderFilledEvents.map((r) => r.id);
}

// ------------------------------------------------------------ graph-node limits

describe('graph-node argument limits', () => {
  it('refuses first > 1000 with graph-node wording, HTTP 200', async () => {
    const r = await gql(srv.url, '{ orderFilledEvents(first: 5000) { id } }');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ errors: [{ message: 'The `first` argument must be between 0 and 1000, but is 5000' }] });
    expect((await gql(srv.url, '{ orderFilledEvents(first: 1000) { id } }')).body.errors).toBeUndefined();
  });

  it('refuses skip > 5000', async () => {
    const r = await gql(srv.url, '{ orderFilledEvents(skip: 6000) { id } }');
    expect(r.status).toBe(200);
    expect(r.body.errors?.[0]?.message).toBe('The `skip` argument must be between 0 and 5000, but is 6000');
    expect((await gql(srv.url, '{ orderFilledEvents(skip: 5000) { id } }')).body.errors).toBeUndefined();
  });

  it('defaults to first 100 ordered by id', async () => {
    expect(await ask({})).toEqual(reference({}));
    expect(await ask({})).toHaveLength(100);
  });

  it('refuses `or` beside column filters at one level, accepts it nested in `and`', async () => {
    const token = fillTokenId(ds.fills[0]!);
    const mixed = await gql(
      srv.url,
      `{ orderFilledEvents(where: { timestamp_gt: "0", or: [ { makerAssetId: "${token}" }, { takerAssetId: "${token}" } ] }) { id } }`,
    );
    expect(mixed.body).toEqual({ errors: [{ message: 'Filter must by an object' }] });
    const nested = { and: [{ timestamp_gt: '0' }, { or: [{ makerAssetId: token }, { takerAssetId: token }] }] };
    const ids = await ask({ first: 1000, where: nested });
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).toEqual(reference({ first: 1000, where: nested }));
    // `and` beside column filters is fine
    const andBeside = { timestamp_gt: '0', and: [{ fee: '0' }] };
    expect(await ask({ first: 1000, where: andBeside })).toEqual(reference({ first: 1000, where: andBeside }));
  });
});

describe('where operators, orderBy and ties', () => {
  const f = ds.fills[300]!;
  const token = fillTokenId(f);
  const cases: [string, Where][] = [
    ['eq', { maker: f.maker }],
    ['not', { fee_not: '0' }],
    ['gt', { timestamp_gt: String(f.timestamp) }],
    ['gte', { timestamp_gte: String(f.timestamp) }],
    ['lt', { id_lt: f.id }],
    ['lte', { id_lte: f.id }],
    ['in', { makerAssetId_in: [token, '0'] }],
    ['not_in', { takerAssetId_not_in: ['0'] }],
    ['bytes eq', { transactionHash: f.transactionHash }],
    ['orderHash in', { orderHash_in: [f.orderHash, ds.fills[5]!.orderHash] }],
    ['bigint in', { makerAmountFilled_in: [f.makerAmountFilled, '10'] }],
    ['bigint not_in', { fee_not_in: ['0'] }],
    ['and of ors', { and: [{ or: [{ makerAssetId: token }, { takerAssetId: token }] }, { or: [{ fee: '0' }, { fee_gt: '100' }] }] }],
    ['or of ands', { or: [{ and: [{ makerAssetId: '0' }, { fee_gt: '0' }] }, { taker: f.taker }] }],
  ];
  for (const [name, where] of cases) {
    it(`${name}: ${JSON.stringify(where).slice(0, 60)}`, async () => {
      const want = reference({ first: 1000, where });
      expect(want.length).toBeGreaterThan(0);
      expect(want.length).toBeLessThan(ds.fills.length);
      expect(await ask({ first: 1000, where })).toEqual(want);
    });
  }

  it('compares BigInt fields numerically, not as text', async () => {
    const where = { makerAmountFilled_gt: '99999' };
    const ids = await ask({ first: 1000, where });
    expect(ids).toEqual(reference({ first: 1000, where }));
    const rows = ds.fills.filter((x) => ids.includes(x.id));
    // "1000000" > "99999" numerically but not lexicographically
    expect(rows.some((x) => x.makerAmountFilled < '99999')).toBe(true);
    // ... and ordering by a BigInt field is numeric too
    const byAmount = await gqlData<{ orderFilledEvents: { makerAmountFilled: string }[] }>(
      srv.url,
      '{ orderFilledEvents(first: 1000, orderBy: makerAmountFilled) { makerAmountFilled } }',
    );
    const amounts = byAmount.orderFilledEvents.map((r) => BigInt(r.makerAmountFilled));
    expect(amounts.every((a, i) => i === 0 || a >= amounts[i - 1]!)).toBe(true);
    expect(new Set(amounts.map((a) => String(a).length)).size).toBeGreaterThan(1);
  });

  it('breaks orderBy ties by id (same direction as graph-node; ascending when configured)', async () => {
    const burst = ds.burst!;
    const where = { timestamp: String(burst.timestamp) };
    const tied = ds.fills
      .filter((x) => x.timestamp === burst.timestamp)
      .map((x) => x.id)
      .sort();
    expect(tied.length).toBeGreaterThanOrEqual(80);
    expect(await ask({ first: 1000, orderBy: 'timestamp', where })).toEqual(tied);
    expect(await ask({ first: 1000, orderBy: 'timestamp', orderDirection: 'desc', where })).toEqual([...tied].reverse());
    expect(await ask({ first: 1000, orderBy: 'timestamp', orderDirection: 'desc', where }, asc)).toEqual(tied);
    // and across a boundary, with skip
    const args: Args = { first: 50, skip: 30, orderBy: 'timestamp', orderDirection: 'desc', where: { timestamp_lte: String(burst.timestamp) } };
    expect(await ask(args)).toEqual(reference(args));
    expect(await ask(args, asc)).toEqual(reference(args, 'asc'));
    const byFee: Args = { first: 200, skip: 10, orderBy: 'fee', orderDirection: 'desc' };
    expect(await ask(byFee)).toEqual(reference(byFee));
  });

  it('matches a reference implementation on random queries', async () => {
    const fields = ORDER_FILLED_EVENT_FIELDS;
    const ops = ['', '_not', '_gt', '_gte', '_lt', '_lte', '_in', '_not_in'];
    const sample = fc.integer({ min: 0, max: ds.fills.length - 1 }).map((i) => ds.fills[i]!);
    const atom = fc.tuple(fc.constantFrom(...fields), fc.constantFrom(...ops), sample, sample).map(([field, op, a, b]) => {
      const v = value(a, field);
      return { [field + op]: op.endsWith('_in') ? [v, value(b, field)] : v } as Where;
    });
    const { where } = fc.letrec<{ where: Where }>((tie) => ({
      where: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        atom,
        fc.tuple(atom, atom).map(([a, b]) => ({ ...a, ...b })),
        fc.array(tie('where'), { minLength: 1, maxLength: 3 }).map((ws) => ({ and: ws })),
        fc.array(tie('where'), { minLength: 1, maxLength: 3 }).map((ws) => ({ or: ws })),
      ),
    }));
    const args = fc.record(
      {
        first: fc.integer({ min: 0, max: 1000 }),
        skip: fc.integer({ min: 0, max: 700 }),
        orderBy: fc.constantFrom(...fields),
        orderDirection: fc.constantFrom('asc' as const, 'desc' as const),
        where,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(args, async (a) => {
        expect(await ask(a)).toEqual(reference(a));
      }),
      { numRuns: 150, seed: 20260428 },
    );
  });
});

describe('other entities and _meta', () => {
  it('serves orderbooks (maker-view counts), marketDatas and single lookups', async () => {
    const data = await gqlData<{ orderbooks: Record<string, string>[]; marketDatas: Record<string, string>[] }>(
      srv.url,
      '{ orderbooks(first: 1000) { id tradesQuantity buysQuantity sellsQuantity collateralVolume } marketDatas(first: 1000, orderBy: id) { id condition outcomeIndex } }',
    );
    const traded = new Set(ds.fills.map(fillTokenId));
    expect(data.orderbooks.map((o) => o.id)).toEqual([...traded].sort());
    for (const ob of data.orderbooks.slice(0, 20)) {
      const mine = ds.fills.filter((x) => fillTokenId(x) === ob.id);
      const buys = mine.filter((x) => x.makerAssetId === '0');
      expect(ob.tradesQuantity).toBe(String(mine.length));
      expect(ob.buysQuantity).toBe(String(buys.length));
      expect(ob.sellsQuantity).toBe(String(mine.length - buys.length));
      const vol = mine.reduce((s, x) => s + BigInt(x.makerAssetId === '0' ? x.makerAmountFilled : x.takerAmountFilled), 0n);
      expect(ob.collateralVolume).toBe(String(vol));
    }
    expect(data.marketDatas).toHaveLength(60);
    const m = ds.markets[3]!;
    expect(data.marketDatas.find((d) => d.id === m.tokens[1].tokenId)).toEqual({ id: m.tokens[1].tokenId, condition: m.conditionId, outcomeIndex: '1' });
    const page2 = await gqlData<{ orderbooks: { id: string }[] }>(
      srv.url,
      `{ orderbooks(first: 5, orderBy: id, orderDirection: asc, where: { id_gt: "${data.orderbooks[9]!.id}" }) { id } }`,
    );
    expect(page2.orderbooks.map((o) => o.id)).toEqual(data.orderbooks.slice(10, 15).map((o) => o.id));
    const one = await gqlData<{ orderFilledEvent: Record<string, string> | null; missing: unknown }>(
      srv.url,
      `{ orderFilledEvent(id: "${ds.fills[7]!.id}") { ${FILL_FIELDS} } missing: orderFilledEvent(id: "0xnope") { id } }`,
    );
    expect(one.orderFilledEvent).toEqual({ ...ds.fills[7]!, timestamp: String(ds.fills[7]!.timestamp) });
    expect(one.missing).toBeNull();
  });

  it('reports _meta with the newest fill as head, or a set head', async () => {
    type Meta = { _meta: { block: { number: number; timestamp: number; hash: string }; hasIndexingErrors: boolean; deployment: string } };
    const meta = await gqlData<Meta>(srv.url, '{ _meta { block { number timestamp hash } deployment hasIndexingErrors } }');
    expect(meta._meta.block.timestamp).toBe(Math.max(...ds.fills.map((x) => x.timestamp)));
    expect(meta._meta.block.hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(meta._meta.hasIndexingErrors).toBe(false);
    expect(meta._meta.block.number).toBeGreaterThan(33_605_403);
    asc.setHead({ timestamp: 1_777_375_240, number: 85_000_000 });
    const set = await gqlData<Meta>(asc.url, '{ _meta { block { number timestamp } } }');
    expect(set._meta.block).toEqual({ number: 85_000_000, timestamp: 1_777_375_240 });
  });

  it('counts requests, root fields and rows', async () => {
    const before = { ...srv.stats, byRootField: { ...srv.stats.byRootField } };
    await gqlData(srv.url, '{ a: orderFilledEvents(first: 7) { id } b: orderFilledEvents(first: 3) { id } orderbooks(first: 2) { id } }');
    expect(srv.stats.requests).toBe(before.requests + 1);
    expect(srv.stats.byRootField.orderFilledEvents).toBe((before.byRootField.orderFilledEvents ?? 0) + 2);
    expect(srv.stats.byRootField.orderbooks).toBe((before.byRootField.orderbooks ?? 0) + 1);
    expect(srv.stats.rowsReturned).toBe(before.rowsReturned + 12);
  });
});
