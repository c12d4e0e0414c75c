import { z } from 'zod';
import type { ShardRecord } from '#shared/ports/state.ts';
import { SOURCE_NAMES, type SourceName } from '#shared/sources/source.ts';

export const RUN_ID_PATTERN = /^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$/;
export const SHARD_ID_PATTERN = /^[0-9]{5}$/;

export const runIdSchema = z.string().regex(RUN_ID_PATTERN, 'run id must look like 20261121T120000Z-ab12cd');
export const shardIdSchema = z.string().regex(SHARD_ID_PATTERN, 'shard id must be five digits');

/** The body of one shard-queue message. The spec is checked by its source's own schema in the fetcher. */
export const shardMessageSchema = z.object({
  runId: runIdSchema,
  shardId: shardIdSchema,
  source: z.enum(SOURCE_NAMES),
  spec: z.unknown(),
});
export type ShardMessage = z.infer<typeof shardMessageSchema>;

/** The message that sends a fetcher to a recorded shard. */
export function shardMessageOf(s: ShardRecord): ShardMessage {
  return { runId: s.runId, shardId: s.shardId, source: s.source, spec: JSON.parse(s.spec) };
}

/** The part of an S3 object-created notification the loader needs (direct S3 → SQS delivery). */
export const s3NotificationSchema = z.object({
  Records: z
    .array(
      z.object({
        eventName: z.string().optional(),
        s3: z.object({
          bucket: z.object({ name: z.string() }),
          object: z.object({ key: z.string(), eTag: z.string().optional() }),
        }),
      }),
    )
    .default([]),
});
/** S3 sends this once when a notification is configured; it carries no object. */
export const s3TestEventSchema = z.object({ Event: z.literal('s3:TestEvent') });

/**
 * What the positions-refresh schedule sends the loader: no objects to load,
 * only the refresh, so that one cut short by its time budget goes on after
 * the last load of a backfill.
 */
export const DERIVE_EVENT = { derive: 'positions' } as const;
export const deriveEventSchema = z.object({ derive: z.literal(DERIVE_EVENT.derive) });

export interface StagedKey {
  runId: string;
  source: SourceName;
  shardId: string;
  seq: number;
}

export const STAGING_PREFIX = 'staged/';
const STAGED_KEY_PATTERN = /^staged\/([0-9]{8}T[0-9]{6}Z-[0-9a-f]{6})\/([a-z]+)\/([0-9]{5})\/([0-9]{6})\.ndjson\.gz$/;

/** Keys are built only from our own ids, never from source text, and are the same on every retry. */
export function stagedKey(k: StagedKey): string {
  return `${STAGING_PREFIX}${k.runId}/${k.source}/${k.shardId}/${String(k.seq).padStart(6, '0')}.ndjson.gz`;
}

/** Accepts a key as S3 notifications carry it (URL-encoded) or plain; null for anything not ours. */
export function parseStagedKey(key: string): StagedKey | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return null;
  }
  const m = STAGED_KEY_PATTERN.exec(decoded);
  if (!m) return null;
  const source = m[2] as SourceName;
  if (!SOURCE_NAMES.includes(source)) return null;
  return { runId: m[1]!, source, shardId: m[3]!, seq: Number(m[4]) };
}
