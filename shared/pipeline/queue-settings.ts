/**
 * Queue and function settings that AWS (infra/) and the local runner share,
 * so the local cycle behaves like the deployed one.
 */
export const QUEUE_SETTINGS = {
  /** Receives before a message goes to its DLQ (reasoning in infra/sync-stack.ts, MAX_RECEIVE_COUNT). */
  shardMaxReceiveCount: 5,
  loadMaxReceiveCount: 5,
  /** Shards are long; one per invocation keeps a failure to one shard. */
  fetcherBatchSize: 1,
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
