/**
 * The query engine behind the simulated orderbook subgraph: graph-node's
 * collection semantics (first/skip limits, where operators, and/or, orderBy
 * with an id tie-break) over the live dataset, with indexes so the pages a
 * sync asks for cost O(page + log n) instead of a scan of every fill.
 *
 * Correctness never depends on the fast paths: candidates are always
 * re-checked with the full compiled predicate and sorted with the full
 * comparator. The fast paths only choose a smaller candidate set that is a
 * superset of the answer's first `skip + first` rows.
 */
export {
  FILL_SPEC,
  FILTER_OPS,
  MARKET_DATA_SPEC,
  MAX_FIRST,
  MAX_SKIP,
  ORDERBOOK_SPEC,
  type CollectionArgs,
  type EntityRow,
  type EntitySpec,
  type FieldKind,
  type MarketDataRow,
  type OrderbookRow,
  type TieBreak,
} from './entities.ts';
export { compileWhere } from './compiler.ts';
export { DatasetIndex } from './dataset-index.ts';
export { checkRange, queryFills, queryRows, type QueryCost } from './executor.ts';
