import { SendMessageBatchCommand, type BatchResultErrorEntry, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { LoadQueue, ShardQueue } from '#shared/ports/index.ts';
import type { ShardMessage } from '#shared/pipeline/messages.ts';
import { retryPolicy, withRetry, type RetryPolicy } from '#shared/retry.ts';

const SQS_BATCH_LIMIT = 10;

/** Resends of the entries SQS reports as failed (the SDK retries whole calls itself). */
export const SQS_RESEND_POLICY: RetryPolicy = retryPolicy({ maxRetries: 5, baseDelayMs: 100, maxDelayMs: 5_000 });

/** Some entries of a batch were refused; the next attempt resends only those. */
class EntriesRefused extends Error {
  override name = 'EntriesRefused';
  constructor(readonly failed: BatchResultErrorEntry[]) {
    super(`SQS refused ${failed.length} message(s)`);
  }
}

/** Sends bodies in SendMessageBatch calls of ten, retrying the entries SQS reports as failed. */
export async function sendBodies(sqs: SQSClient, queueUrl: string, bodies: string[], policy: RetryPolicy = SQS_RESEND_POLICY): Promise<void> {
  for (let i = 0; i < bodies.length; i += SQS_BATCH_LIMIT) {
    let entries: SendMessageBatchRequestEntry[] = bodies.slice(i, i + SQS_BATCH_LIMIT).map((body, j) => ({ Id: String(j), MessageBody: body }));
    await withRetry(
      async () => {
        const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        const failed = res.Failed ?? [];
        if (failed.length === 0) return;
        const ids = new Set(failed.map((f) => f.Id));
        entries = entries.filter((e) => ids.has(e.Id));
        throw new EntriesRefused(failed);
      },
      {
        policy,
        classify: (err) => {
          if (!(err instanceof EntriesRefused)) return { action: 'rethrow' };
          // An entry the sender got wrong (SenderFault: too big, bad attributes) is refused the same way again.
          return err.failed.some((f) => f.SenderFault) ? { action: 'give-up' } : { action: 'retry' };
        },
        giveUp: ({ error }) => {
          const { failed } = error as EntriesRefused;
          return new Error(`SQS refused ${failed.length} message(s) to ${queueUrl}: ${failed[0]?.Code} ${failed[0]?.Message}`);
        },
      },
    );
  }
}

export class SqsShardQueue implements ShardQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: ShardMessage[]): Promise<void> {
    await sendBodies(
      this.sqs,
      this.queueUrl,
      messages.map((m) => JSON.stringify(m)),
    );
  }
}

/** Re-announces staged objects in the same shape S3 uses for its own notifications. */
export class SqsLoadQueue implements LoadQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly bucket: string,
  ) {}

  async announce(keys: string[]): Promise<void> {
    await sendBodies(
      this.sqs,
      this.queueUrl,
      keys.map((key) => s3NotificationBody(this.bucket, key)),
    );
  }
}

export function s3NotificationBody(bucket: string, key: string): string {
  return JSON.stringify({
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/') } },
      },
    ],
  });
}
