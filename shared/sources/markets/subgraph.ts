import { z } from 'zod';
import { GraphQLClient, gql } from 'graphql-request';
import { decimalUint256 } from '#shared/model/fill.ts';
import { rejectRecord, type StagedRecord } from '#shared/model/staged.ts';
import { retryingFetch, sourceHttp, type SourceHttpOptions } from '#shared/sources/http.ts';
import { MAX_PAGE_SIZE, SourceContractError } from '#shared/sources/subgraph/index.ts';
import { conditionIdSchema, issuesText, MAX_OUTCOMES, tokenClaim } from './rows.ts';

/**
 * The orderbook subgraph's `MarketData` entities: one per token the V1
 * exchanges registered (`id` = token id, `condition`, and an `outcomeIndex`
 * the orderbook subgraph never sets). Source: Polymarket/polymarket-subgraph,
 * orderbook-subgraph/schema.graphql and src/ExchangeMapping.ts
 * (handleTokenRegistered). Paged by `id_gt` in id order, `first` <= 1000,
 * never `skip` (graph-node refuses skip above 5000).
 */
/** What rejected marketData rows are filed under. */
export const SUBGRAPH_REJECT_SOURCE = 'markets/subgraph';

export const subgraphListCursorSchema = z.object({ lastId: z.string().regex(/^[\x21-\x7e]{1,100}$/) }).strict();
export type SubgraphListCursor = z.infer<typeof subgraphListCursorSchema>;

const MARKET_DATAS = gql`
  query MarketDatas($first: Int!, $lastId: ID!) {
    marketDatas(first: $first, orderBy: id, orderDirection: asc, where: { id_gt: $lastId }) {
      id
      condition
      outcomeIndex
    }
  }
`;

const pageSchema = z.object({ marketDatas: z.array(z.unknown()) });
const rowIdSchema = z.object({ id: z.string().regex(/^[\x21-\x7e]{1,100}$/) });
const marketDataSchema = z.object({
  id: decimalUint256,
  condition: conditionIdSchema,
  outcomeIndex: z
    .string()
    .regex(/^[0-9]{1,3}$/, 'must be a small decimal integer')
    .transform(Number)
    .refine((n) => n < MAX_OUTCOMES, `must be below ${MAX_OUTCOMES}`)
    .nullish(),
});

export interface SubgraphListOptions extends SourceHttpOptions {
  url: string;
  pageSize?: number;
}

export interface SubgraphListPage {
  records: StagedRecord[];
  next: SubgraphListCursor | null;
}

export type SubgraphListReader = (cursor: SubgraphListCursor | null, signal?: AbortSignal) => Promise<SubgraphListPage>;

export function subgraphListReader(opts: SubgraphListOptions): SubgraphListReader {
  const first = Math.max(1, Math.min(opts.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE));
  const client = new GraphQLClient(opts.url, { fetch: retryingFetch(sourceHttp({ ...opts, service: 'subgraph' })) });
  return async (cursor, signal) => {
    const data = await client.request<unknown>({ document: MARKET_DATAS, variables: { first, lastId: cursor?.lastId ?? '' }, signal });
    const page = pageSchema.safeParse(data);
    if (!page.success) throw new SourceContractError(`marketDatas page does not match the schema: ${page.error.message}`);
    const rows = page.data.marketDatas;
    if (rows.length > first) throw new SourceContractError(`marketDatas returned ${rows.length} rows for first: ${first}`);
    const records = rows.map(marketDataRecord);
    if (rows.length < first) return { records, next: null };
    // The cursor comes from the raw row, so a row rejected for its fields still moves it on.
    const last = rowIdSchema.safeParse(rows.at(-1));
    if (!last.success) throw new SourceContractError(`the last marketData of a page has no usable id: ${issuesText(last.error)}`);
    if (cursor && last.data.id <= cursor.lastId) throw new SourceContractError(`marketDatas went backwards: ${last.data.id} after ${cursor.lastId}`);
    return { records, next: { lastId: last.data.id } };
  };
}

function marketDataRecord(raw: unknown): StagedRecord {
  const parsed = marketDataSchema.safeParse(raw);
  if (!parsed.success) return rejectRecord(SUBGRAPH_REJECT_SOURCE, issuesText(parsed.error), raw);
  const d = parsed.data;
  return tokenClaim('subgraph', d.id, d.condition, d.outcomeIndex ?? null, '');
}
