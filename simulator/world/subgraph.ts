import type { FillRow } from '#shared/model/fill.ts';
import type { Dataset, SimFill, SimMarket } from '#simulator/dataset.ts';
import { applyListCoverage, type ListCoverageOptions } from '#simulator/market-lists.ts';
import { V1_EXCHANGES } from '#shared/sources/chain/events/addresses.ts';

const V1 = new Set<string>(V1_EXCHANGES);

/**
 * The V1 fills as the orderbook subgraph serves them. Its handler
 * (Polymarket/polymarket-subgraph orderbook-subgraph/src/ExchangeMapping.ts,
 * recordOrderFilledEvent) builds a new OrderFilledEvent with id
 * `<tx hash>_<order hash>`, sets every field from the event and saves it:
 * graph-node's save of an existing id overwrites it, so an order filled twice
 * in one transaction is ONE entity carrying the last event's values. Fills are
 * in timestamp order (then chain order), each entity where its id first appeared.
 */
export function subgraphFills(fills: readonly FillRow[]): SimFill[] {
  const byId = new Map<string, SimFill>();
  const ordered = fills.filter((f) => V1.has(f.exchange)).sort((a, b) => a.block_number - b.block_number || a.log_index - b.log_index);
  for (const f of ordered) {
    const id = `${f.transaction_hash}_${f.order_hash}`;
    byId.set(id, {
      id,
      transactionHash: f.transaction_hash,
      timestamp: f.timestamp,
      orderHash: f.order_hash,
      maker: f.maker,
      taker: f.taker,
      makerAssetId: f.maker_asset_id,
      takerAssetId: f.taker_asset_id,
      makerAmountFilled: f.maker_amount_filled,
      takerAmountFilled: f.taker_amount_filled,
      fee: f.fee,
    });
  }
  return [...byId.values()];
}

/** Coverage when the caller asks for none: every list knows every market, and marketDatas carry no outcome index, as the real subgraph. */
const COMPLETE_LISTS: ListCoverageOptions = { clobMissShare: 0, gammaMissShare: 0, subgraphMissShare: 0 };

/**
 * A Dataset for simulator/index.ts startSimulatedSources over the world's
 * markets and V1 history. The subgraph keeps a MarketData per token the V1
 * exchanges registered (handleTokenRegistered), so its list lacks the
 * markets first prepared in V2 (`unregistered`), whatever `lists` says.
 */
export function subgraphDataset(
  seed: number,
  markets: SimMarket[],
  fills: readonly FillRow[],
  unregistered: Iterable<string>,
  lists?: ListCoverageOptions,
): Dataset {
  const ds: Dataset = { seed, markets, fills: subgraphFills(fills), burst: null, version: 0 };
  applyListCoverage(ds, lists ?? COMPLETE_LISTS, 0);
  for (const c of unregistered) ds.lists?.omitted.subgraph.add(c);
  return ds;
}

/** After markets from index `from` on were appended: their list coverage, and the subgraph lacks the unregistered ones. */
export function marketsAdded(ds: Dataset, from: number, unregistered: Iterable<string>): void {
  if (ds.lists) applyListCoverage(ds, ds.lists.options, from);
  for (const c of unregistered) ds.lists?.omitted.subgraph.add(c);
  ds.version++;
}
