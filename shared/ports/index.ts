import type { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ShardMessage } from '#shared/pipeline/messages.ts';

/** The shard queue as the planner and fetcher see it. */
export interface ShardQueue {
  /** Enqueues in batches (SendMessageBatch); resolves once every message is accepted. */
  send(messages: ShardMessage[]): Promise<void>;
}

/** The queue that tells the loader a staged object exists (S3 object-created notifications in AWS). */
export interface LoadQueue {
  /** Re-announces staged objects the loader has not loaded, e.g. after notifications were lost. */
  announce(keys: string[]): Promise<void>;
}

export interface StoredObject {
  body: Readable;
  etag: string;
}

/** Durable object storage for staged pages (S3 in AWS, fauxqs locally). */
export interface BlobStore {
  put(key: string, body: Buffer, contentType: string): Promise<{ etag: string }>;
  get(key: string): Promise<StoredObject>;
  exists(key: string): Promise<boolean>;
}

/** The ClickHouse database the loader writes and the operators' commands read. */
export interface Warehouse {
  client: ClickHouseClient;
  database: string;
}

/** Connects on first use (a Lambda reads its secret then) and hands back the same connection after. */
export type WarehouseProvider = () => Promise<Warehouse>;
