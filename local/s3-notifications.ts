import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sendBodies, s3NotificationBody } from '#adapters/aws/sqs-queues.ts';
import { STAGING_PREFIX } from '#shared/pipeline/messages.ts';

/**
 * fauxqs has no bucket notifications, so this stands in for S3's
 * ObjectCreated → SQS delivery: it watches the staging prefix and sends the
 * loader queue one S3-shaped notification per new object or new version
 * (a re-put with a different ETag notifies again, as S3 does).
 *
 * A tick lists only keys after a starting point, not the whole prefix (which
 * keeps every run's objects): after the greatest key seen, or, when lower,
 * after the floor the runner sets, the lowest key an unfinished shard may
 * still write. Concurrent fetchers write out of key order, so the greatest
 * key alone would miss the objects of lower shards. Whatever lies below both
 * (a finished shard's object staged again, another run's) is still found by
 * a full listing every `fullScanMs`, and by stop().
 */
export class S3NotificationBridge {
  private readonly seen = new Map<string, string>();
  private greatest = '';
  /** List after this ('' = everything); null = no unfinished shard, only keys after the greatest are new. */
  private floor: string | null = '';
  /** A higher floor waits for one listing that started after it was set (see setFloor). */
  private raisedFloor: string | null | undefined;
  private lastFullScan = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticks: { intervalMs: number; fullScanMs: number; running: boolean; pokedWhileRunning: boolean } | undefined;
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
    for await (const o of this.list('')) this.remember(o.key, o.etag);
    this.lastFullScan = Date.now();
  }

  /**
   * The lowest key the watched run's unfinished shards may still write
   * (a shard's prefix), or null when every shard is finished. A floor read
   * from state is already stale: a shard it calls finished may have written
   * its last object just before, unlisted. So a higher floor applies only
   * after one more listing from the old one; a lower one applies at once.
   */
  setFloor(key: string | null): void {
    if (this.floor !== null && (key === null || key > this.floor)) {
      this.raisedFloor = key;
    } else {
      this.floor = key;
      this.raisedFloor = undefined;
    }
  }

  /** Lists every `intervalMs`, and at once when poked. */
  start(intervalMs = 500, fullScanMs = 10_000): void {
    this.ticks = { intervalMs, fullScanMs, running: false, pokedWhileRunning: false };
    this.timer = setTimeout(() => this.runTick(), intervalMs);
  }

  /**
   * Lists now rather than at the next interval: the runner pokes when a
   * fetcher invocation ends, the moment its last objects are sure to be in
   * the bucket. A poke during a listing makes one more right after it.
   */
  poke(): void {
    const ticks = this.ticks;
    if (!ticks || this.timer === undefined) return;
    if (ticks.running) {
      ticks.pokedWhileRunning = true;
      return;
    }
    clearTimeout(this.timer);
    this.runTick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.scanning;
    await this.scan();
  }

  private runTick(): void {
    const ticks = this.ticks!;
    ticks.running = true;
    this.scanning = this.tick(ticks.fullScanMs).finally(() => {
      ticks.running = false;
      if (this.timer === undefined) return;
      const again = ticks.pokedWhileRunning;
      ticks.pokedWhileRunning = false;
      this.timer = setTimeout(() => this.runTick(), again ? 0 : ticks.intervalMs);
    });
  }

  /** Lists the whole staging prefix and announces every new object or version. */
  async scan(): Promise<void> {
    this.lastFullScan = Date.now();
    await this.announceFrom('');
  }

  private async tick(fullScanMs: number): Promise<void> {
    const raised = this.raisedFloor;
    const from = this.floor === null || this.floor > this.greatest ? this.greatest : this.floor;
    if (from === '' || Date.now() - this.lastFullScan >= fullScanMs) await this.scan();
    else await this.announceFrom(from);
    if (raised !== undefined && raised === this.raisedFloor) {
      this.floor = raised;
      this.raisedFloor = undefined;
    }
  }

  private async announceFrom(startAfter: string): Promise<void> {
    const fresh: string[] = [];
    for await (const o of this.list(startAfter)) {
      if (this.seen.get(o.key) === o.etag) continue;
      this.remember(o.key, o.etag);
      fresh.push(o.key);
    }
    if (fresh.length === 0) return;
    await sendBodies(
      this.sqs,
      this.loadQueueUrl,
      fresh.map((key) => s3NotificationBody(this.bucket, key)),
    );
    this.notified += fresh.length;
  }

  private remember(key: string, etag: string): void {
    this.seen.set(key, etag);
    if (key > this.greatest) this.greatest = key;
  }

  private async *list(startAfter: string): AsyncGenerator<{ key: string; etag: string }> {
    let token: string | undefined;
    do {
      const res = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: STAGING_PREFIX,
          ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
        }),
      );
      for (const o of res.Contents ?? []) yield { key: o.Key!, etag: o.ETag ?? '' };
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }
}
