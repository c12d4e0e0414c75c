/**
 * Queue and function settings that AWS (infra/) and the local runner share,
 * so the local cycle behaves like the deployed one.
 */
export const QUEUE_SETTINGS = {
  /** Receives before a shard message goes to the DLQ: enough to ride out a source outage across retries. */
  shardMaxReceiveCount: 5,
  /** A staged object that fails this often is poison (or ClickHouse is down for long): park it in the DLQ. */
  loadMaxReceiveCount: 8,
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
