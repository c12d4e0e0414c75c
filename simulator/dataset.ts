/**
 * A seeded, deterministic generator of a Polymarket-shaped dataset: markets
 * (CLOB market list shape) and V1 `OrderFilledEvent`s (orderbook subgraph
 * shape). The same options and seed always give the same dataset.
 *
 * Shape, chosen to exercise what a real sync meets:
 * - a heavy tail of fills per market (Zipf-like; the heaviest market holds
 *   about `topShare` of all fills, most markets hold few), every market >= 1 fill;
 * - both outcome tokens trade; every fill has exactly one USDC leg (asset id
 *   "0") and one token leg (BUY: maker pays USDC; SELL: the reverse);
 * - several fills per transaction (same transactionHash, different orderHash);
 * - a burst: thousands of fills sharing one timestamp, mostly on the heaviest
 *   market (so `timestamp_gt` paging would lose rows);
 * - open, closed and neg-risk markets;
 * - token ids that are the real CTF position ids of each condition's outcomes;
 * - on request (`lists`), market lists that lack some markets or get some wrong.
 */
export * from './dataset/model.ts';
export { extendDataset, generateDataset } from './dataset/generate.ts';
export { datasetTotals, type DatasetTotals } from './dataset/totals.ts';
