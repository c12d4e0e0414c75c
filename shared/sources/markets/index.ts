import { z } from 'zod';
import type { KyInstance } from 'ky';
import { sourceHttp, type SourceHttpOptions } from '#shared/sources/http.ts';
import type { SourcePace } from '#shared/sources/pacing.ts';
import type { PlannedShard, Source, SourcePage, SourcePlan } from '#shared/sources/source.ts';
import { clobCursorSchema, fetchClobPage, type ClobCursor } from './clob.ts';
import { fetchGammaPage, gammaCursorSchema, type GammaCursor } from './gamma.ts';
import { subgraphListCursorSchema, subgraphListReader, type SubgraphListCursor } from './subgraph.ts';

export { END_CURSOR, FIRST_CURSOR, CLOB_REJECT_SOURCE } from './clob.ts';
export { GAMMA_PAGE_SIZE, GAMMA_REJECT_SOURCE } from './gamma.ts';
export { SUBGRAPH_REJECT_SOURCE } from './subgraph.ts';

/**
 * Which condition and outcome each token belongs to, from every list that
 * knows: the CLOB market list, Gamma's market list and the orderbook
 * subgraph's `marketDatas`. None is complete and they can disagree, so each
 * stages its own `token_claims` (source 'clob', 'gamma', 'subgraph'); the
 * `market_tokens` view picks one by precedence and `token_conflicts` shows
 * disagreements. Fills whose token no list knows stay in `fills` and show as
 * unmapped until a later refresh (or the chain's registry) finds them.
 */
export interface MarketsSourceOptions extends SourceHttpOptions {
  /** CLOB API base; `/markets` is read. */
  url: string;
  /** Gamma API base; `/markets/keyset` is read. Absent: Gamma is not read. */
  gammaUrl?: string;
  /** Pace of Gamma requests (its own allowance); absent: not paced. */
  gammaPace?: SourcePace;
  /** Orderbook subgraph GraphQL endpoint; absent: its marketDatas are not read. */
  subgraphUrl?: string;
  /** Pace of subgraph requests: give the subgraph source's pace, so both share its allowance. */
  subgraphPace?: SourcePace;
  /** marketDatas per page (graph-node's maximum, 1000, by default). */
  subgraphPageSize?: number;
}

export const MARKET_LIST_NAMES = ['clob', 'gamma', 'subgraph'] as const;
export type MarketListName = (typeof MARKET_LIST_NAMES)[number];

export const marketsSpecSchema = z.discriminatedUnion('list', [
  z.object({ list: z.literal('clob') }),
  /** Gamma lists open and closed markets apart (closed=false by default), so each is a shard. */
  z.object({ list: z.literal('gamma'), closed: z.boolean() }),
  z.object({ list: z.literal('subgraph') }),
]);
export type MarketsSpec = z.infer<typeof marketsSpecSchema>;

/** Each list pages with its own cursor: CLOB `next_cursor`, Gamma `after_cursor`, subgraph `id_gt`. */
export const marketsCursorSchema = z.union([clobCursorSchema, gammaCursorSchema, subgraphListCursorSchema]);
export type MarketsCursor = z.infer<typeof marketsCursorSchema>;

type CursorKey = 'nextCursor' | 'afterCursor' | 'lastId';

/** The cursor of the shard's own list; a cursor of another list means the shard state is corrupt. */
function cursorOf<C extends MarketsCursor>(spec: MarketsSpec, cursor: MarketsCursor | null, key: CursorKey): C | null {
  if (cursor === null) return null;
  if (!(key in cursor)) throw new Error(`a ${spec.list} market-list shard was given another list's cursor: ${JSON.stringify(cursor)}`);
  return cursor as C;
}

export function createMarketsSource(
  opts: MarketsSourceOptions,
  http: KyInstance = sourceHttp({ ...opts, service: 'clob-markets' }),
): Source<MarketsSpec, MarketsCursor> {
  const clobBase = opts.url.replace(/\/+$/, '');
  const gammaBase = opts.gammaUrl?.replace(/\/+$/, '');
  const gammaHttp = gammaBase === undefined ? null : sourceHttp({ ...opts, pace: opts.gammaPace, service: 'gamma-markets' });
  const readSubgraph =
    opts.subgraphUrl === undefined ? null : subgraphListReader({ ...opts, url: opts.subgraphUrl, pace: opts.subgraphPace, pageSize: opts.subgraphPageSize });

  return {
    name: 'markets',
    specSchema: marketsSpecSchema,
    cursorSchema: marketsCursorSchema,

    async plan(): Promise<SourcePlan<MarketsSpec>> {
      const shards: PlannedShard<MarketsSpec>[] = [{ spec: { list: 'clob' }, estimatedRows: 0, label: 'market list' }];
      if (gammaHttp) {
        shards.push({ spec: { list: 'gamma', closed: false }, estimatedRows: 0, label: 'Gamma open markets' });
        shards.push({ spec: { list: 'gamma', closed: true }, estimatedRows: 0, label: 'Gamma closed markets' });
      }
      if (readSubgraph) shards.push({ spec: { list: 'subgraph' }, estimatedRows: 0, label: 'subgraph marketDatas' });
      return { shards, target: null };
    },

    async fetchPage(spec, cursor, signal): Promise<SourcePage<MarketsCursor>> {
      switch (spec.list) {
        case 'clob':
          return fetchClobPage(http, clobBase, cursorOf<ClobCursor>(spec, cursor, 'nextCursor'), signal);
        case 'gamma':
          if (!gammaHttp || gammaBase === undefined) throw new Error('a Gamma market-list shard, but no Gamma URL is configured');
          return fetchGammaPage(gammaHttp, gammaBase, spec.closed, cursorOf<GammaCursor>(spec, cursor, 'afterCursor'), signal);
        case 'subgraph':
          if (!readSubgraph) throw new Error('a subgraph market-list shard, but no subgraph URL is configured');
          return readSubgraph(cursorOf<SubgraphListCursor>(spec, cursor, 'lastId'), signal);
      }
    },
  };
}
