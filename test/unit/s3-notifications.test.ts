import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { s3Client, sqsClient } from '#adapters/aws/clients.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';
import { S3NotificationBridge } from '#local/s3-notifications.ts';
import { until } from '#test/support/until.ts';

let aws: LocalAws;
let s3: S3Client;
let sqs: SQSClient;
/** StartAfter of every listing the bridge made ('' for a whole listing). */
let listings: string[];

beforeAll(async () => {
  aws = await startLocalAws({});
  s3 = s3Client({ region: aws.region, endpoint: aws.s3Endpoint });
  sqs = sqsClient({ region: aws.region, endpoint: aws.sqsEndpoint });
});
afterAll(async () => {
  await aws.stop();
});

let run = 0;
let runId: string;
beforeEach(() => {
  listings = [];
  listingsAnswered = 0;
  holdListing = undefined;
  runId = `20261121T00000${run++}Z-abcdef`;
});

const key = (shard: number, seq: number) => `staged/${runId}/subgraph/${String(shard).padStart(5, '0')}/${String(seq).padStart(6, '0')}.ndjson.gz`;
const shardPrefix = (shard: number) => key(shard, 0).replace(/[^/]+$/, '');
const put = (k: string, body = 'x') => s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: k, Body: body }));

/** While set, each listing's answer is held until it settles (after it was counted in listingsAnswered). */
let holdListing: Promise<void> | undefined;
let listingsAnswered = 0;

function bridge(): S3NotificationBridge {
  const watched = {
    send: async (cmd: unknown) => {
      if (!(cmd instanceof ListObjectsV2Command)) return s3.send(cmd as never);
      listings.push(cmd.input.StartAfter ?? '');
      const answer = await s3.send(cmd);
      listingsAnswered++;
      await holdListing;
      return answer;
    },
  } as unknown as S3Client;
  return new S3NotificationBridge(watched, sqs, aws.bucket, aws.loadQueueUrl);
}

/** Waits until the keys announced since the last call include every one of `want`, and returns them all. */
async function announcedAtLeast(want: readonly string[]): Promise<string[]> {
  const got: string[] = [];
  await until(async () => (got.push(...(await announced())), want.every((k) => got.includes(k))), 10);
  return got.sort();
}

/** Waits until the bridge has made `n` more listings than it had when called. */
const listingsAfter = (n: number) => {
  const from = listings.length;
  return until(() => listings.length >= from + n);
};

/** Keys announced on the load queue since the last call. */
async function announced(): Promise<string[]> {
  const keys: string[] = [];
  for (;;) {
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: aws.loadQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!res.Messages?.length) return keys.sort();
    for (const m of res.Messages) {
      for (const r of (JSON.parse(m.Body!) as { Records: { s3: { object: { key: string } } }[] }).Records) keys.push(r.s3.object.key);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: aws.loadQueueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
}

describe('S3 notification stand-in', () => {
  it('announces new objects and new versions once, not what was there before it started', async () => {
    await put(key(0, 0));
    const b = bridge();
    await b.primeWithExisting();
    await announced();
    await put(key(0, 1));
    await b.scan();
    expect(await announced()).toEqual([key(0, 1)]);
    await put(key(0, 1)); // same content, same ETag: S3 would notify, the stand-in does not need to
    await put(key(0, 0), 'changed');
    await b.scan();
    expect(await announced()).toEqual([key(0, 0)]);
  });

  it('ticks list from the floor, so objects written out of key order are announced without a full listing', async () => {
    const b = bridge();
    await b.primeWithExisting();
    b.setFloor(shardPrefix(1));
    b.start(20, 3_600_000);
    await put(key(5, 0)); // a higher shard first: the greatest key is now above shard 1's
    await listingsAfter(2);
    await put(key(1, 0));
    await put(key(3, 0));
    expect(await announcedAtLeast([key(1, 0), key(3, 0), key(5, 0)])).toEqual([key(1, 0), key(3, 0), key(5, 0)]);
    await listingsAfter(2);
    const ticks = listings.slice(2); // the prime, then the first tick lists everything before the floor applies
    expect(ticks.length).toBeGreaterThan(3);
    expect(ticks.every((s) => s !== '' && s >= shardPrefix(1))).toBe(true);
    await b.stop();
  });

  it('lists only after the greatest key when no shard is unfinished, and still finds a re-staged object below it', async () => {
    await put(key(2, 0));
    const b = bridge();
    await b.primeWithExisting();
    b.setFloor(null);
    b.start(20, 300);
    await listingsAfter(2);
    expect(listings.slice(-1)[0]).toBe(key(2, 0));
    await put(key(0, 0), 'staged again');
    // Ticks list after the greatest key and cannot see it: only the next full listing does.
    expect(await announcedAtLeast([key(0, 0)])).toEqual([key(0, 0)]);
    expect(listings).toContain('');
    await b.stop();
  });

  it('raises the floor only after one more listing, so a shard that finished just before is not skipped', async () => {
    const b = bridge();
    await b.primeWithExisting();
    b.setFloor(shardPrefix(0));
    b.start(40, 3_600_000);
    await listingsAfter(1);
    // shard 0 stages its last object, then the runner reads that it is done and raises the floor
    await put(key(9, 0));
    await put(key(0, 4));
    b.setFloor(shardPrefix(5));
    expect(await announcedAtLeast([key(0, 4), key(9, 0)])).toEqual([key(0, 4), key(9, 0)]);
    await until(() => listings.at(-1) === shardPrefix(5));
    await b.stop();
  });

  it('lists at once when poked, and once more after a listing it was poked during', async () => {
    const b = bridge();
    await b.primeWithExisting();
    b.setFloor(shardPrefix(0));
    // An hour between ticks: only a poke can make these listings.
    b.start(3_600_000);
    let release: () => void = () => undefined;
    holdListing = new Promise((resolve) => (release = resolve));
    const before = { listings: listings.length, answered: listingsAnswered };
    b.poke();
    // The listing has been answered, its answer held: what is put now it cannot see.
    await until(() => listingsAnswered > before.answered);
    await put(key(2, 0));
    b.poke();
    release();
    expect(await announcedAtLeast([key(2, 0)])).toEqual([key(2, 0)]);
    expect(listings.length).toBe(before.listings + 2);
    await b.stop();
  });

  it('announces on stop() what the last tick did not see', async () => {
    const b = bridge();
    await b.primeWithExisting();
    b.setFloor(shardPrefix(3));
    b.start(3_600_000);
    await put(key(1, 0));
    await b.stop();
    expect(await announced()).toEqual([key(1, 0)]);
  });
});
