import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sendBodies, s3NotificationBody } from '#shared/aws/sqs-queues.ts';
import { STAGING_PREFIX } from '#shared/pipeline/messages.ts';

/**
 * fauxqs has no bucket notifications, so this stands in for S3's
 * ObjectCreated → SQS delivery: it watches the staging prefix and sends the
 * loader queue one S3-shaped notification per new object or new version
 * (a re-put with a different ETag notifies again, as S3 does).
 */
export class S3NotificationBridge {
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  notified = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly sqs: SQSClient,
    private readonly bucket: string,
    private readonly loadQueueUrl: string,
  ) {}

  /** Treats objects already in the bucket as notified, as S3 would have done when they were written. */
  async primeWithExisting(): Promise<void> {
    for await (const o of this.list()) this.seen.set(o.key, o.etag);
  }

  start(intervalMs = 500): void {
    const tick = () => {
      this.scanning = this.scan().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, intervalMs);
      });
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.scanning;
    await this.scan();
  }

  async scan(): Promise<void> {
    const fresh: string[] = [];
    for await (const o of this.list()) {
      if (this.seen.get(o.key) === o.etag) continue;
      this.seen.set(o.key, o.etag);
      fresh.push(o.key);
    }
    if (fresh.length === 0) return;
    await sendBodies(this.sqs, this.loadQueueUrl, fresh.map((key) => s3NotificationBody(this.bucket, key)));
    this.notified += fresh.length;
  }

  private async *list(): AsyncGenerator<{ key: string; etag: string }> {
    let token: string | undefined;
    do {
      const res = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: STAGING_PREFIX, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) yield { key: o.Key!, etag: o.ETag ?? '' };
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }
}
