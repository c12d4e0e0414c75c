/**
 * A simulated Polymarket orderbook subgraph: a real GraphQL server
 * (graphql-yoga on node:http, 127.0.0.1, a free port) serving the part of the
 * schema the sync uses, with graph-node's rules (see subgraph-query/), over
 * a live Dataset. Faults, rate limits and lying rows on demand.
 */
import { V1_GENESIS_BLOCK } from '#shared/sources/chain/events/addresses.ts';
import { GraphQLError, GraphQLScalarType, Kind, type DocumentNode, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { useCompiledExecution } from './compiled-execution.ts';
import { V1_START, type Dataset, type SimFill } from './dataset.ts';
import { FaultInjector, listenBehindFaults, type FaultCounts, type FaultOptions } from './faults.ts';
import { Rng } from './rng.ts';
import {
  DatasetIndex,
  FILL_SPEC,
  FILTER_OPS,
  MARKET_DATA_SPEC,
  ORDERBOOK_SPEC,
  queryFills,
  queryRows,
  type CollectionArgs,
  type EntitySpec,
  type FieldKind,
  type QueryCost,
  type TieBreak,
} from './subgraph-query/index.ts';

export type CorruptionKind = 'missing-field' | 'non-numeric-amount' | 'no-usdc-leg' | 'negative-amount' | 'bad-address' | 'bad-condition';

export interface Corruption {
  /** The fill id (or, for `bad-condition`, the marketData token id) whose rows are corrupted in every response. */
  id: string;
  kind: CorruptionKind;
}

export interface SubgraphStats {
  /** Every HTTP request, faulted or not. */
  requests: number;
  /** Requests that reached GraphQL execution. */
  executions: number;
  /** Root field name -> times queried (aliases count under the field name). */
  byRootField: Record<string, number>;
  /** Entities returned across all responses. */
  rowsReturned: number;
  /** Responses carrying GraphQL errors. */
  errors: number;
  /** Rows the engine looked at to answer (a measure of the fast paths). */
  rowsScanned: number;
  /** Faults injected, by kind. */
  faults: FaultCounts;
  corruptedRows: number;
}

export interface SubgraphHead {
  /** Block timestamp reported by _meta; default the newest fill's. */
  timestamp?: number;
  /** Block number reported by _meta; default derived from the timestamp. */
  number?: number;
  /** What _meta says of indexing errors at some past block; default false. */
  hasIndexingErrors?: boolean;
}

export interface SubgraphServerOptions {
  dataset: Dataset;
  faults?: FaultOptions;
  corruptions?: Corruption[];
  /** Tie order under orderBy; default 'same-direction' (current graph-node). */
  tieBreak?: TieBreak;
  head?: SubgraphHead;
  /** URL path of the endpoint; default Goldsky's shape. */
  path?: string;
}

export interface SubgraphServer {
  /** The GraphQL endpoint URL. */
  url: string;
  stats: SubgraphStats;
  index: DatasetIndex;
  setFaults(faults: FaultOptions): void;
  setCorruptions(corruptions: Corruption[]): void;
  /** Overrides what _meta reports; pass {} to go back to the dataset's head. */
  setHead(head: SubgraphHead): void;
  /** Re-indexes the dataset now (otherwise done on the next request). */
  refresh(): void;
  resetStats(): void;
  close(): Promise<void>;
}

export const DEFAULT_SUBGRAPH_PATH = '/api/public/project_sim/subgraphs/orderbook-subgraph/0.0.1/gn';

// ---------------------------------------------------------------- schema

const stringScalar = (name: string, check?: (s: string) => boolean): GraphQLScalarType =>
  new GraphQLScalarType({
    name,
    serialize: (v) => (typeof v === 'bigint' || typeof v === 'number' ? v.toString() : String(v)),
    parseValue: (v) => {
      if (typeof v !== 'string' && typeof v !== 'number') throw new GraphQLError(`Invalid ${name} value`);
      const s = String(v);
      if (check && !check(s)) throw new GraphQLError(`Invalid ${name} value: ${s}`);
      return s;
    },
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING && ast.kind !== Kind.INT && ast.kind !== Kind.FLOAT) {
        throw new GraphQLError(`Invalid ${name} literal`);
      }
      if (check && !check(ast.value)) throw new GraphQLError(`Invalid ${name} value: ${ast.value}`);
      return ast.value;
    },
  });

const BigIntScalar = stringScalar('BigInt', (s) => /^-?[0-9]+$/.test(s));
const BigDecimalScalar = stringScalar('BigDecimal', (s) => /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(s));
const BytesScalar = stringScalar('Bytes', (s) => /^0x([0-9a-fA-F]{2})*$/.test(s));

const GQL_TYPE: Record<FieldKind, string> = { id: 'ID', string: 'String', bytes: 'Bytes', bigint: 'BigInt', bigdecimal: 'BigDecimal' };

function entityTypeDefs(spec: EntitySpec): string {
  const nullable = new Set(spec.nullable ?? []);
  const fields = Object.entries(spec.fields).map(([f, k]) => `  ${f}: ${GQL_TYPE[k]}${nullable.has(f) ? '' : '!'}`);
  const filters: string[] = [];
  for (const [f, k] of Object.entries(spec.fields)) {
    for (const op of FILTER_OPS) {
      const t = GQL_TYPE[k];
      filters.push(`  ${f}${op}: ${op === '_in' || op === '_not_in' ? `[${t}!]` : t}`);
    }
  }
  filters.push('  _change_block: BlockChangedFilter', `  and: [${spec.name}_filter]`, `  or: [${spec.name}_filter]`);
  return `
type ${spec.name} {
${fields.join('\n')}
}
input ${spec.name}_filter {
${filters.join('\n')}
}
enum ${spec.name}_orderBy {
${Object.keys(spec.fields)
  .map((f) => '  ' + f)
  .join('\n')}
}`;
}

const ROOTS: [single: string, plural: string, spec: EntitySpec][] = [
  ['orderFilledEvent', 'orderFilledEvents', FILL_SPEC],
  ['orderbook', 'orderbooks', ORDERBOOK_SPEC],
  ['marketData', 'marketDatas', MARKET_DATA_SPEC],
];

const TYPE_DEFS = `
scalar BigInt
scalar BigDecimal
scalar Bytes
enum OrderDirection { asc desc }
enum _SubgraphErrorPolicy_ { allow deny }
input BlockChangedFilter { number_gte: Int! }
input Block_height { hash: Bytes number: Int number_gte: Int }
type _Block_ { hash: Bytes number: Int! timestamp: Int parentHash: Bytes }
type _Meta_ { block: _Block_! deployment: String! hasIndexingErrors: Boolean! }
${ROOTS.map(([, , spec]) => entityTypeDefs(spec)).join('\n')}
type Query {
${ROOTS.map(
  ([one, many, spec]) => `  ${one}(id: ID!, block: Block_height, subgraphError: _SubgraphErrorPolicy_! = deny): ${spec.name}
  ${many}(skip: Int = 0, first: Int = 100, orderBy: ${spec.name}_orderBy, orderDirection: OrderDirection, where: ${spec.name}_filter, block: Block_height, subgraphError: _SubgraphErrorPolicy_! = deny): [${spec.name}!]!`,
).join('\n')}
  _meta(block: Block_height): _Meta_
}`;

// ---------------------------------------------------------------- corruption

function corruptRow(row: Record<string, unknown>, kind: CorruptionKind): void {
  switch (kind) {
    case 'missing-field':
      delete row.makerAmountFilled;
      break;
    case 'non-numeric-amount':
      if ('makerAmountFilled' in row) row.makerAmountFilled = '12abc';
      break;
    case 'negative-amount':
      if ('makerAmountFilled' in row) row.makerAmountFilled = '-5';
      break;
    case 'bad-address':
      if ('maker' in row) row.maker = '0x1234';
      break;
    case 'bad-condition':
      if ('condition' in row) row.condition = '0x1234';
      break;
    case 'no-usdc-leg': {
      // both legs become outcome tokens
      const token = row.makerAssetId === '0' ? row.takerAssetId : row.makerAssetId;
      const other = typeof token === 'string' && token !== '0' ? token : '1';
      if ('makerAssetId' in row && row.makerAssetId === '0') row.makerAssetId = other;
      if ('takerAssetId' in row && row.takerAssetId === '0') row.takerAssetId = other;
      break;
    }
  }
}

// ---------------------------------------------------------------- server

function blockHash(n: number): string {
  return new Rng(n).hexString(32);
}

function emptyStats(): SubgraphStats {
  return { requests: 0, executions: 0, byRootField: {}, rowsReturned: 0, errors: 0, rowsScanned: 0, faults: {} as FaultCounts, corruptedRows: 0 };
}

function rootFieldNames(document: DocumentNode, operationName?: string | null): string[] {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = ops.find((o) => !operationName || o.name?.value === operationName) ?? ops[0];
  if (!op) return [];
  return op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
}

/** Starts the simulated subgraph. */
export async function startSubgraphServer(opts: SubgraphServerOptions): Promise<SubgraphServer> {
  const ds = opts.dataset;
  const index = new DatasetIndex(ds);
  const faults = new FaultInjector(opts.faults ?? {});
  const stats = emptyStats();
  stats.faults = faults.counts;
  const tie: TieBreak = opts.tieBreak ?? 'same-direction';
  let head: SubgraphHead = { ...(opts.head ?? {}) };
  let corruptions = new Map<string, CorruptionKind>();
  const setCorruptions = (list: Corruption[]): void => {
    corruptions = new Map(list.map((c) => [c.id, c.kind]));
  };
  setCorruptions(opts.corruptions ?? []);

  const meta = (): unknown => {
    index.refresh();
    const ts = head.timestamp ?? index.headTimestamp() ?? V1_START;
    const number = head.number ?? Number(V1_GENESIS_BLOCK) + Math.max(0, Math.floor((ts - V1_START) / 2)) + ds.version;
    return {
      block: { number, timestamp: ts, hash: blockHash(number), parentHash: blockHash(number - 1) },
      deployment: 'QmSimulatedPolymarketOrderbookSubgraph0000000000000',
      hasIndexingErrors: head.hasIndexingErrors ?? false,
    };
  };

  const collection =
    (spec: EntitySpec, rows: () => readonly { id: string }[]) =>
    (_: unknown, args: CollectionArgs): unknown[] => {
      index.refresh();
      return queryRows(spec, rows(), args, tie);
    };
  const single =
    (rows: () => readonly { id: string }[]) =>
    (_: unknown, args: { id: string }): unknown => {
      index.refresh();
      return rows().find((r) => r.id === args.id) ?? null;
    };

  const schema = createSchema({
    typeDefs: TYPE_DEFS,
    resolvers: {
      BigInt: BigIntScalar,
      BigDecimal: BigDecimalScalar,
      Bytes: BytesScalar,
      Query: {
        orderFilledEvents: (_: unknown, args: CollectionArgs): SimFill[] => {
          index.refresh();
          const cost: QueryCost = { scanned: 0, path: '' };
          const rows = queryFills(index, args, tie, cost);
          stats.rowsScanned += cost.scanned;
          return rows;
        },
        orderFilledEvent: (_: unknown, args: { id: string }): SimFill | null => {
          index.refresh();
          return index.fillById(args.id);
        },
        orderbooks: collection(ORDERBOOK_SPEC, () => index.orderbooks()),
        orderbook: single(() => index.orderbooks()),
        marketDatas: collection(MARKET_DATA_SPEC, () => index.marketDatas()),
        marketData: single(() => index.marketDatas()),
        _meta: meta,
      },
    },
  });

  const statsPlugin: Plugin = {
    onExecute({ args }) {
      stats.executions++;
      for (const f of rootFieldNames(args.document, args.operationName)) {
        stats.byRootField[f] = (stats.byRootField[f] ?? 0) + 1;
      }
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in (result as object)) return;
          const r = result as ExecutionResult;
          if (r.errors?.length) {
            stats.errors++;
            // graph-node answers a failed query with errors only: {"errors":[{"message": ...}]}
            setResult({ errors: r.errors.map((e) => new GraphQLError(e.message)), extensions: { http: { status: 200 } } });
            return;
          }
          for (const v of Object.values(r.data ?? {})) {
            const rows = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : [];
            stats.rowsReturned += Array.isArray(v) ? v.length : 0;
            if (corruptions.size === 0) continue;
            for (const row of rows as Record<string, unknown>[]) {
              const kind = typeof row.id === 'string' ? corruptions.get(row.id) : undefined;
              if (kind) {
                corruptRow(row, kind);
                stats.corruptedRows++;
              }
            }
          }
        },
      };
    },
  };

  const path = opts.path ?? DEFAULT_SUBGRAPH_PATH;
  const yoga = createYoga({
    schema,
    graphqlEndpoint: path,
    logging: false,
    graphiql: false,
    landingPage: false,
    maskedErrors: false,
    plugins: [statsPlugin, useCompiledExecution()],
  });

  const http = await listenBehindFaults(
    faults,
    (req, res) => void yoga(req, res),
    () => stats.requests++,
  );

  return {
    url: http.origin + path,
    stats,
    index,
    setFaults: (f) => faults.set(f),
    setCorruptions,
    setHead: (h) => {
      head = { ...h };
    },
    refresh: () => index.refresh(),
    resetStats: () => {
      Object.assign(stats, emptyStats(), { faults: faults.counts });
      for (const k of Object.keys(faults.counts) as (keyof FaultCounts)[]) faults.counts[k] = 0;
    },
    close: () => http.close(),
  };
}
