import { GraphQLClient, gql } from 'graphql-request';
import pLimit from 'p-limit';
import { subgraphFill, ORDER_FILLED_FIELDS } from '#shared/sources/subgraph/schema.ts';
import type { FillRow } from '#shared/model/fill.ts';
import type { ApproachRequest, ApproachResult } from '#bench/lib/types.ts';
import { politeFetch, type RequestCounter } from '#bench/lib/http.ts';
import { freshWarehouse, scriptResult } from './common.ts';

const FILLS = gql`
  query MarketFills($where: OrderFilledEvent_filter!) {
    orderFilledEvents(first: 1000, orderBy: id, orderDirection: asc, where: $where) {
      ${ORDER_FILLED_FIELDS}
    }
  }
`;

interface ClobPage {
  data: { condition_id: string; tokens: { token_id: string }[] }[];
  next_cursor: string;
}

/**
 * The approach the seed started from: list the markets, then for each
 * market one query sequence (its two tokens, paged by id) and one ClickHouse
 * insert of its fills, N markets at a time.
 */
export async function perMarket(req: ApproachRequest): Promise<ApproachResult> {
  const wh = await freshWarehouse(req.dir, 'bench_per_market');
  const subgraph: RequestCounter = { requests: 0, throttled: 0 };
  const markets: RequestCounter = { requests: 0, throttled: 0 };
  const gqlClient = new GraphQLClient(req.sources.subgraphUrl, { fetch: politeFetch(subgraph) });
  const marketFetch = politeFetch(markets);
  const started = Date.now();

  const list: string[][] = [];
  for (let cursor = 'MA=='; cursor !== 'LTE=';) {
    const res = await marketFetch(`${req.sources.marketsUrl}/markets?next_cursor=${encodeURIComponent(cursor)}`);
    if (!res.ok) throw new Error(`market list answered ${res.status}`);
    const page = (await res.json()) as ClobPage;
    for (const m of page.data) list.push(m.tokens.map((t) => t.token_id).filter(Boolean));
    cursor = page.next_cursor;
  }

  let fillsLoaded = 0;
  let rejected = 0;
  let marketsDone = 0;
  const limit = pLimit(req.workers);
  await Promise.all(
    list.map((tokens) =>
      limit(async () => {
        const rows: FillRow[] = [];
        let lastId: string | null = null;
        for (;;) {
          const and: Record<string, unknown>[] = [{ or: [{ makerAssetId_in: tokens }, { takerAssetId_in: tokens }] }];
          if (lastId) and.push({ id_gt: lastId });
          const page = await gqlClient.request<{ orderFilledEvents: { id: string }[] }>(FILLS, { where: { and } });
          for (const raw of page.orderFilledEvents) {
            const fill = subgraphFill(raw);
            if (typeof fill === 'string') rejected++;
            else rows.push(fill);
          }
          if (page.orderFilledEvents.length < 1000) break;
          lastId = page.orderFilledEvents.at(-1)!.id;
        }
        if (rows.length > 0) {
          await wh.client.insert({
            table: `${wh.database}.fills`,
            values: rows.map((r) => ({ ...r, staged_object: 'bench:per-market' })),
            format: 'JSONEachRow',
          });
        }
        fillsLoaded += rows.length;
        marketsDone++;
      }),
    ),
  );
  const wallMs = Date.now() - started;
  return scriptResult(wh, {
    kind: 'per-market',
    expectedFills: req.expectedFills,
    wallMs,
    fillsLoaded,
    client: subgraph,
    extra: { markets: marketsDone, marketsPerSecond: marketsDone / (wallMs / 1000), marketListRequests: markets.requests, rejected },
  });
}
