import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCompiledExecution } from '#simulator/compiled-execution.ts';
import { generateDataset } from '#simulator/dataset.ts';
import { startSubgraphServer, type SubgraphServer } from '#simulator/subgraph-server.ts';
import { FILL_FIELDS, gql } from './helpers.ts';

// A recursive input type, as the subgraph's `<Entity>_filter` (and/or lists of itself).
// The resolver reports its arguments and whether graphql-jit ran it: only the
// JIT's private schema holds the pass-through variable scalar.
const schema = createSchema({
  typeDefs: /* GraphQL */ `
    input F {
      x: Int
      s: String
      and: [F!]
      or: [F!]
    }
    type Query {
      echo(f: F, n: Int = 7, list: [Int!]): String!
    }
  `,
  resolvers: {
    Query: {
      echo: (_: unknown, args: unknown, _ctx: unknown, info: { schema: { getType(name: string): unknown } }) =>
        JSON.stringify({ args, compiled: Boolean(info.schema.getType('_CoercedByGraphqlJs')) }),
    },
  },
});
const compiled = createYoga({ schema, plugins: [useCompiledExecution()], logging: false, maskedErrors: false });
const reference = createYoga({ schema, logging: false, maskedErrors: false });

async function ask(yoga: typeof compiled, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The compiled answer, checked equal to graphql-js's apart from who ran it. */
async function both(body: Record<string, unknown>): Promise<{ echo?: { args: unknown; compiled: boolean }; errors?: unknown }> {
  const [c, r] = await Promise.all([ask(compiled, body), ask(reference, body)]);
  const strip = (b: Record<string, unknown>) => {
    const echo = (b.data as { echo?: string } | undefined)?.echo;
    return echo === undefined ? b : { ...b, data: { echo: { ...JSON.parse(echo), compiled: undefined } } };
  };
  expect(c.status).toBe(r.status);
  expect(strip(c.body)).toEqual(strip(r.body));
  const echo = (c.body.data as { echo?: string } | undefined)?.echo;
  return { ...(echo === undefined ? {} : { echo: JSON.parse(echo) }), ...(c.body.errors ? { errors: c.body.errors } : {}) };
}

const Q = 'query Q($f: F, $n: Int, $l: [Int!]) { echo(f: $f, n: $n, list: $l) }';

describe('compiled execution (graphql-jit, variables coerced by graphql-js)', () => {
  it('compiles operations whose variables are of a recursive input type', async () => {
    const f = { x: 1, and: [{ s: 'a', or: [{ x: 2 }, { and: [] }] }] };
    const r = await both({ query: Q, variables: { f, n: 3, l: 5 } });
    expect(r.echo).toEqual({ args: { f, n: 3, list: [5] }, compiled: true });
  });

  it('answers invalid variables exactly as graphql-js', async () => {
    for (const variables of [{ n: 'abc' }, { n: 1.5 }, { f: { x: 'no' } }, { f: { and: [{ nope: 1 }] } }, { f: { and: [null] } }, { l: [null] }]) {
      const r = await both({ query: Q, variables });
      expect(r.errors).toBeDefined();
    }
    const r = await both({ query: 'query($n: Int!) { echo(n: $n) }', variables: {} });
    expect(r.errors).toEqual([expect.objectContaining({ message: 'Variable "$n" of required type "Int!" was not provided.' })]);
  });

  it('leaves absent variables to graphql-js, which omits them rather than passing null', async () => {
    const r = await both({ query: 'query($x: Int) { echo(f: { x: $x, s: "k" }) }', variables: {} });
    expect(r.echo).toEqual({ args: { f: { s: 'k' }, n: 7 }, compiled: false });
    const withDefault = await both({ query: 'query($x: Int = 4) { echo(f: { x: $x }) }', variables: {} });
    expect(withDefault.echo).toEqual({ args: { f: { x: 4 }, n: 7 }, compiled: true });
  });

  it('selects operations by name as graphql-js does', async () => {
    const doc = 'query A { echo(n: 1) } query B { echo(n: 2) }';
    expect((await both({ query: doc, operationName: 'B' })).echo).toEqual({ args: { n: 2 }, compiled: true });
    expect((await both({ query: doc })).errors).toBeDefined();
    expect((await both({ query: doc, operationName: 'Z' })).errors).toBeDefined();
  });
});

describe('the simulated subgraph under compiled execution', () => {
  const ds = generateDataset({ seed: 5, markets: 20, fills: 3000 });
  let srv: SubgraphServer;
  beforeAll(async () => {
    srv = await startSubgraphServer({ dataset: ds });
  });
  afterAll(async () => {
    await srv.close();
  });

  it("answers the sync's page query (a `where` variable) as its literal form", async () => {
    const token = ds.fills[100]!.makerAssetId === '0' ? ds.fills[100]!.takerAssetId : ds.fills[100]!.makerAssetId;
    const and = [{ or: [{ makerAssetId_in: [token] }, { takerAssetId_in: [token] }] }, { timestamp_gt: '0' }, { id_gt: '0x1' }];
    const byVariable = await gql(
      srv.url,
      `query($where: OrderFilledEvent_filter!) { orderFilledEvents(first: 1000, orderBy: id, where: $where) { ${FILL_FIELDS} } }`,
      {
        where: { and },
      },
    );
    const literal = await gql(
      srv.url,
      `{ orderFilledEvents(first: 1000, orderBy: id, where: { and: [ { or: [ { makerAssetId_in: ["${token}"] }, { takerAssetId_in: ["${token}"] } ] }, { timestamp_gt: "0" }, { id_gt: "0x1" } ] }) { ${FILL_FIELDS} } }`,
    );
    expect(byVariable.body.errors).toBeUndefined();
    expect(byVariable.body).toEqual(literal.body);
    const rows = (byVariable.body.data as { orderFilledEvents: { id: string }[] }).orderFilledEvents;
    const want = ds.fills.filter((f) => (f.makerAssetId === token || f.takerAssetId === token) && f.id > '0x1').map((f) => f.id);
    expect(rows.map((r) => r.id)).toEqual(want.sort());
  });

  it('keeps graph-node errors and graphql-js coercion errors', async () => {
    const q = 'query($first: Int, $where: OrderFilledEvent_filter) { orderFilledEvents(first: $first, where: $where) { id } }';
    expect((await gql(srv.url, q, { first: 1001 })).body).toEqual({ errors: [{ message: 'The `first` argument must be between 0 and 1000, but is 1001' }] });
    expect((await gql(srv.url, q, { first: 'x' })).body).toEqual({
      errors: [{ message: 'Variable "$first" got invalid value "x"; Int cannot represent non-integer value: "x"' }],
    });
    expect((await gql(srv.url, q, { where: { and: [{ nope: 1 }] } })).body).toEqual({
      errors: [
        { message: 'Variable "$where" got invalid value { nope: 1 } at "where.and[0]"; Field "nope" is not defined by type "OrderFilledEvent_filter".' },
      ],
    });
  });
});
