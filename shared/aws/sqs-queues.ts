import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LoadQueue, ShardQueue } from '../ports/index.ts';
import type { ShardMessage } from '../pipeline/messages.ts';

const SQS_BATCH_LIMIT = 10;

/** Sends bodies in SendMessageBatch calls of ten, retrying the entries SQS reports as failed. */
export async function sendBodies(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += SQS_BATCH_LIMIT) {
    let entries = bodies.slice(i, i + SQS_BATCH_LIMIT).map((body, j) => ({ Id: String(j), MessageBody: body }));
    for (let attempt = 0; entries.length > 0; attempt++) {
      const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      const failed = new Set((res.Failed ?? []).map((f) => f.Id));
      if (failed.size === 0) break;
      if (attempt >= 5) {
        const first = res.Failed?.[0];
        throw new Error(`SQS refused ${failed.size} message(s) to ${queueUrl}: ${first?.Code} ${first?.Message}`);
      }
      entries = entries.filter((e) => failed.has(e.Id));
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

export class SqsShardQueue implements ShardQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: ShardMessage[]): Promise<void> {
    await sendBodies(this.sqs, this.queueUrl, messages.map((m) => JSON.stringify(m)));
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
    await sendBodies(this.sqs, this.queueUrl, keys.map((key) => s3NotificationBody(this.bucket, key)));
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
