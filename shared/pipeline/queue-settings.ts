/**
 * Queue and function settings that AWS (infra/) and the local runner share,
 * so the local cycle behaves like the deployed one.
 */
export const QUEUE_SETTINGS = {
  /** Receives before a message goes to its DLQ (reasoning in infra/sync-stack.ts, MAX_RECEIVE_COUNT). */
  shardMaxReceiveCount: 5,
  loadMaxReceiveCount: 5,
  /**
   * Shards a fetcher invocation takes, fetched side by side (the handler's
   * batch processor runs a batch's records in parallel). A shard pages one
   * request after another, so a fetcher with one shard asks at most
   * 1 / latency of its source: with two it asks twice that without more Lambda
   * concurrency, and its pacer (its share of the allowance) still caps the
   * rate. A shard that fails is still reported alone (partial batch response).
   */
  fetcherBatchSize: 2,
  loaderBatchSize: 10,
} as const;

export const RESOURCE_NAMES = {
  shardQueue: 'polymarket-sync-shards',
  shardDlq: 'polymarket-sync-shards-dlq',
  loadQueue: 'polymarket-sync-loads',
  loadDlq: 'polymarket-sync-loads-dlq',
  bucket: 'polymarket-sync-staging',
  table: 'polymarket-sync-state',
} as const;
