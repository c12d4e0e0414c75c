import { GraphQLClient, gql } from 'graphql-request';
import { subgraphFill, ORDER_FILLED_FIELDS } from '#shared/sources/subgraph/schema.ts';
import type { FillRow } from '#shared/model/fill.ts';
import type { ApproachRequest, ApproachResult } from '#bench/lib/types.ts';
import { politeFetch, type RequestCounter } from '#bench/lib/http.ts';
import { freshWarehouse, scriptResult } from './common.ts';

const FILLS = gql`
  query AllFills($where: OrderFilledEvent_filter!) {
    orderFilledEvents(first: 1000, orderBy: timestamp, orderDirection: asc, where: $where) {
      ${ORDER_FILLED_FIELDS}
    }
  }
`;

/**
 * What most scripts do: one stream over every fill ordered by timestamp, one
 * page at a time, one insert per page (or per few pages). With `cursor:
 * 'complete'` the next page starts after (timestamp, id) of the last row; with
 * 'timestamp_gt' it starts after the last timestamp and loses the rows that
 * share it (poly_data issue #7).
 */
export async function globalCursor(req: ApproachRequest): Promise<ApproachResult> {
  const wh = await freshWarehouse(req.dir, 'bench_global_cursor');
  const counter: RequestCounter = { requests: 0, throttled: 0 };
  const client = new GraphQLClient(req.sources.subgraphUrl, { fetch: politeFetch(counter) });
  const complete = (req.cursor ?? 'complete') === 'complete';
  const pagesPerInsert = req.pagesPerInsert ?? 1;
  const started = Date.now();
  let fillsLoaded = 0;
  let rejected = 0;
  let pages = 0;
  let pending: FillRow[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    await wh.client.insert({
      table: `${wh.database}.fills`,
      values: pending.map((r) => ({ ...r, staged_object: 'bench:global-cursor' })),
      format: 'JSONEachRow',
    });
    fillsLoaded += pending.length;
    pending = [];
  };
  let last: { ts: string; id: string } | null = null;
  for (;;) {
    const where: Record<string, unknown> = !last
      ? {}
      : complete
        ? { and: [{ timestamp_gte: last.ts }, { or: [{ timestamp_gt: last.ts }, { id_gt: last.id }] }] }
        : { timestamp_gt: last.ts };
    const page = await client.request<{ orderFilledEvents: { id: string; timestamp: string }[] }>(FILLS, { where });
    pages++;
    for (const raw of page.orderFilledEvents) {
      const fill = subgraphFill(raw);
      if (typeof fill === 'string') rejected++;
      else pending.push(fill);
    }
    if (pages % pagesPerInsert === 0) await flush();
    const rows = page.orderFilledEvents;
    if (rows.length < 1000) break;
    last = { ts: rows.at(-1)!.timestamp, id: rows.at(-1)!.id };
  }
  await flush();
  return scriptResult(wh, {
    kind: 'global-cursor',
    expectedFills: req.expectedFills,
    wallMs: Date.now() - started,
    fillsLoaded,
    client: counter,
    extra: { pages, cursor: complete ? 'complete (timestamp, id)' : 'timestamp_gt', pagesPerInsert, rejected },
  });
}
