import { z } from 'zod';
import { GraphQLClient, gql } from 'graphql-request';
import { decimalUint256 } from '#shared/model/fill.ts';
import { rejectRecord, type StagedRecord } from '#shared/model/staged.ts';
import { retryingFetch, sourceHttp, type SourceHttpOptions } from '#shared/sources/http.ts';
import type { PlannedShard, PlanInput, Source, SourcePage, SourcePlan } from '#shared/sources/source.ts';
import { FILL_ID_PATTERN, ORDER_FILLED_FIELDS, subgraphFill } from './schema.ts';
import { ID_BOUNDARY_PATTERN, MIN_PAGES_PER_PARALLEL_SHARD, splitForParallelism } from './parallel.ts';

/** graph-node refuses `first` above 1000 and `skip` above 5000; we never use skip. */
export const MAX_PAGE_SIZE = 1000;

export interface SubgraphSourceOptions extends SourceHttpOptions {
  url: string;
  pageSize?: number;
  /** A shard aims at about this many fills: enough pages to be worth a message, few enough to finish in one invocation. */
  targetRowsPerShard?: number;
  /** Upper bound on token ids in one `_in` list, to keep queries small for graph-node. */
  maxTokensPerShard?: number;
}

/**
 * A shard is a set of token ids (absent: every token), a half-open time
 * window (fromTs, toTs] and optionally a half-open id range (idGt, idLte].
 * Light tokens share a shard; a heavy token is split into several time
 * windows; a small history is cut by id range for parallelism (parallel.ts).
 */
export const subgraphSpecSchema = z
  .object({
    tokens: z.array(decimalUint256).min(1).max(2000).optional(),
    fromTs: z.number().int().min(0),
    toTs: z.number().int().min(0),
    idGt: z.string().regex(ID_BOUNDARY_PATTERN).optional(),
    idLte: z.string().regex(ID_BOUNDARY_PATTERN).optional(),
  })
  .refine((s) => s.idGt === undefined || s.idLte === undefined || s.idGt < s.idLte, 'idGt must come before idLte');
export type SubgraphSpec = z.infer<typeof subgraphSpecSchema>;

/** Complete cursor: rows are ordered by id, so `id_gt` never skips rows sharing a timestamp. */
export const subgraphCursorSchema = z.object({ lastId: z.string().min(1) });
export type SubgraphCursor = z.infer<typeof subgraphCursorSchema>;

/** The source answered with something that breaks the API's own rules. */
export class SourceContractError extends Error {
  override name = 'SourceContractError';
}

const META = gql`
  query Meta {
    _meta {
      block {
        number
        timestamp
      }
      hasIndexingErrors
    }
  }
`;

const ORDERBOOKS = gql`
  query TokenCounts($first: Int!, $lastId: ID!) {
    orderbooks(first: $first, orderBy: id, orderDirection: asc, where: { id_gt: $lastId }) {
      id
      tradesQuantity
    }
  }
`;

const FIRST_FILL = gql`
  query FirstFill($tokens: [String!]!, $fromTs: BigInt!, $toTs: BigInt!) {
    orderFilledEvents(
      first: 1
      orderBy: timestamp
      orderDirection: asc
      where: { and: [{ or: [{ makerAssetId_in: $tokens }, { takerAssetId_in: $tokens }] }, { timestamp_gt: $fromTs }, { timestamp_lte: $toTs }] }
    ) {
      timestamp
    }
  }
`;

const FILLS = gql`
  query Fills($first: Int!, $where: OrderFilledEvent_filter!) {
    orderFilledEvents(first: $first, orderBy: id, orderDirection: asc, where: $where) {
      ${ORDER_FILLED_FIELDS}
    }
  }
`;

const metaSchema = z.object({
  _meta: z.object({
    block: z.object({ number: z.number().int(), timestamp: z.number().int().nullable() }),
    hasIndexingErrors: z.boolean(),
  }),
});
const orderbooksSchema = z.object({
  orderbooks: z.array(z.object({ id: decimalUint256, tradesQuantity: z.string().regex(/^[0-9]+$/) })),
});
const firstFillSchema = z.object({ orderFilledEvents: z.array(z.object({ timestamp: z.string().regex(/^[0-9]+$/) })) });
const fillsPageSchema = z.object({ orderFilledEvents: z.array(z.unknown()) });

export function createSubgraphSource(opts: SubgraphSourceOptions): Source<SubgraphSpec, SubgraphCursor> {
  const pageSize = Math.min(opts.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  const targetRows = opts.targetRowsPerShard ?? 50_000;
  const maxTokens = opts.maxTokensPerShard ?? 500;
  const client = new GraphQLClient(opts.url, { fetch: retryingFetch(sourceHttp({ ...opts, service: 'subgraph' })) });

  async function request<T>(document: string, variables: Record<string, unknown>, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    const data = await client.request<unknown>({ document, variables, signal });
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new SourceContractError(`subgraph response does not match the schema: ${parsed.error.message}`);
    return parsed.data;
  }

  async function tokenCounts(signal?: AbortSignal): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let lastId = '';
    for (;;) {
      const page = await request(ORDERBOOKS, { first: MAX_PAGE_SIZE, lastId }, orderbooksSchema, signal);
      for (const ob of page.orderbooks) counts.set(ob.id, Number(ob.tradesQuantity));
      if (page.orderbooks.length < MAX_PAGE_SIZE) return counts;
      lastId = page.orderbooks.at(-1)!.id;
    }
  }

  async function planTokenShards(fromTs: number, toTs: number, signal?: AbortSignal): Promise<PlannedShard<SubgraphSpec>[]> {
    const counts = [...(await tokenCounts(signal))].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const shards: PlannedShard<SubgraphSpec>[] = [];
    let group: string[] = [];
    let groupRows = 0;
    const flush = () => {
      if (group.length === 0) return;
      shards.push({ spec: { tokens: group, fromTs, toTs }, estimatedRows: groupRows, label: `${group.length} tokens` });
      group = [];
      groupRows = 0;
    };
    for (const [token, n] of counts) {
      if (n > targetRows) {
        shards.push(...(await splitHeavyToken(token, n, fromTs, toTs, signal)));
        continue;
      }
      if (groupRows + n > targetRows || group.length >= maxTokens) flush();
      group.push(token);
      groupRows += n;
    }
    flush();
    return shards;
  }

  /** Cuts one heavy token's history into equal time slices, from its first fill to the end of the window. */
  async function splitHeavyToken(token: string, n: number, fromTs: number, toTs: number, signal?: AbortSignal) {
    const first = await request(FIRST_FILL, { tokens: [token], fromTs: String(fromTs), toTs: String(toTs) }, firstFillSchema, signal);
    const start = first.orderFilledEvents[0] ? Math.max(fromTs, Number(first.orderFilledEvents[0].timestamp) - 1) : fromTs;
    const slices = Math.max(1, Math.min(Math.ceil(n / targetRows), toTs - start));
    const out: PlannedShard<SubgraphSpec>[] = [];
    for (let i = 0; i < slices; i++) {
      const lo = i === 0 ? fromTs : start + Math.floor(((toTs - start) * i) / slices);
      const hi = i === slices - 1 ? toTs : start + Math.floor(((toTs - start) * (i + 1)) / slices);
      out.push({ spec: { tokens: [token], fromTs: lo, toTs: hi }, estimatedRows: Math.ceil(n / slices), label: `heavy token, slice ${i + 1}/${slices}` });
    }
    return out;
  }

  return {
    name: 'subgraph',
    specSchema: subgraphSpecSchema,
    cursorSchema: subgraphCursorSchema,

    async plan(input: PlanInput): Promise<SourcePlan<SubgraphSpec>> {
      const meta = await request(META, {}, metaSchema, input.signal);
      const head = meta._meta.block.timestamp;
      if (head === null) throw new SourceContractError('subgraph _meta has no block timestamp');
      const toTs = input.window?.to ? Math.min(head, toUnixSeconds(input.window.to, 'to')) : head;
      const fromTs = input.window?.from ? toUnixSeconds(input.window.from, 'from') - 1 : input.watermark ? Number(input.watermark) : 0;
      // A replayed window never moves the watermark: it re-fetches history on the operator's request.
      const target = input.window ? input.watermark : String(toTs);
      if (toTs <= fromTs) return { shards: [], target };
      // A first run (or a replay) sizes shards from per-token fill counts; later runs
      // only ask for what appeared after the watermark, every token at once.
      const shards =
        input.watermark === null || input.window?.from
          ? splitForParallelism(await planTokenShards(fromTs, toTs, input.signal), input.fetcherConcurrency, MIN_PAGES_PER_PARALLEL_SHARD * pageSize)
          : [{ spec: { fromTs, toTs }, estimatedRows: 0, label: `new fills after ${new Date(fromTs * 1000).toISOString()}` }];
      return { shards, target };
    },

    async fetchPage(spec, cursor, signal): Promise<SourcePage<SubgraphCursor>> {
      const and: Record<string, unknown>[] = [];
      if (spec.tokens) and.push({ or: [{ makerAssetId_in: spec.tokens }, { takerAssetId_in: spec.tokens }] });
      and.push({ timestamp_gt: String(spec.fromTs) }, { timestamp_lte: String(spec.toTs) });
      // The id range's bounds use the filter suffixes graph-node generates for every field
      // (https://thegraph.com/docs/en/subgraphs/querying/graphql-api/, "Filtering"); the cursor is past idGt.
      const after = cursor?.lastId ?? spec.idGt;
      if (after !== undefined) and.push({ id_gt: after });
      if (spec.idLte !== undefined) and.push({ id_lte: spec.idLte });
      const page = await request(FILLS, { first: pageSize, where: { and } }, fillsPageSchema, signal);
      const rows = page.orderFilledEvents;
      const tokens = spec.tokens ? new Set(spec.tokens) : null;
      const records: StagedRecord[] = [];
      let lastId = cursor?.lastId ?? '';
      for (const raw of rows) {
        // Only a well-formed id moves the cursor; a malformed one is the row's problem, not the page's.
        const id = (raw as { id?: unknown })?.id;
        if (typeof id === 'string' && FILL_ID_PATTERN.test(id)) {
          if (id <= lastId) throw new SourceContractError(`subgraph returned id ${id} after ${lastId}: rows are not in id order`);
          lastId = id;
        }
        const fill = subgraphFill(raw);
        if (typeof fill === 'string') {
          records.push(rejectRecord('subgraph', fill, raw));
        } else if ((tokens && !tokens.has(fill.token_id)) || fill.timestamp <= spec.fromTs || fill.timestamp > spec.toTs || !inIdRange(spec, id as string)) {
          records.push(rejectRecord('subgraph', "fill lies outside the shard's tokens, time window or id range", raw));
        } else {
          records.push({ table: 'fills', row: fill });
        }
      }
      const full = rows.length >= pageSize;
      if (full && lastId === (cursor?.lastId ?? '')) {
        throw new SourceContractError('a full subgraph page has no row with a valid id: cannot advance the cursor');
      }
      return { records, next: full ? { lastId } : null };
    },
  };
}

/** The source's own id, compared as the source orders ids (the cursor relies on the same order). */
const inIdRange = (spec: SubgraphSpec, id: string): boolean => (spec.idGt === undefined || id > spec.idGt) && (spec.idLte === undefined || id <= spec.idLte);

/** Accepts unix seconds or an ISO date. */
export function toUnixSeconds(value: string, name: string): number {
  if (/^[0-9]+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`--${name} ${JSON.stringify(value)} is neither a date nor unix seconds`);
  return Math.floor(ms / 1000);
}
