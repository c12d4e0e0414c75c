/**
 * A scheduler that drives the domain functions (runPlanner, fetchShard,
 * loadObject, completeRuns) the way Lambda drives the handlers, one message
 * at a time, against the real emulators and chDB, through crashable ports.
 * Each `process` is one life of the machine: it may die at the armed crash
 * point; the next one starts with the visibility timeouts of what the dead
 * one held expired, and with the clock moved on (leases run out).
 */
import { randomUUID } from 'node:crypto';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { dynamoDocumentClient, s3Client, sqsClient } from '#adapters/aws/clients.ts';
import { S3BlobStore } from '#adapters/aws/s3-blob-store.ts';
import { SqsLoadQueue, SqsShardQueue } from '#adapters/aws/sqs-queues.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { runPlanner, type PlannerResult } from '#shared/pipeline/planner.ts';
import { fetchShard } from '#shared/pipeline/fetcher.ts';
import { completeRuns, loadObject } from '#shared/pipeline/loader.ts';
import { s3NotificationSchema, shardMessageSchema } from '#shared/pipeline/messages.ts';
import type { SourceRegistry } from '#shared/sources/registry.ts';
import type { StateStore } from '#shared/ports/state.ts';
import type { LocalAws } from '#local/emulators.ts';
import { S3NotificationBridge } from '#local/s3-notifications.ts';
import { Crash, CrashSwitch, crashable, crashableClickHouse, type CrashPoint } from './crash.ts';

export interface World {
  aws: LocalAws;
  client: ClickHouseClient;
  database: string;
  /** Builds the sources a process uses (fresh per process, like a cold start). */
  sources: () => SourceRegistry;
  pagesPerObject: number;
}

export interface ScheduleReport {
  processes: number;
  crashes: number;
  planner: PlannerResult[];
  /** The armed crash point was reached. */
  fired: boolean;
}

export class Scheduler {
  private offsetMs = 0;
  readonly now = () => Date.now() + this.offsetMs;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  /** The durable state, read without faults (for assertions). */
  readonly state: StateStore;
  private readonly bridge: S3NotificationBridge;

  constructor(private readonly world: World) {
    const { aws } = world;
    this.sqs = sqsClient({ region: aws.region, endpoint: aws.sqsEndpoint });
    this.s3 = s3Client({ region: aws.region, endpoint: aws.s3Endpoint });
    this.state = new DynamoStateStore(dynamoDocumentClient({ region: aws.region, endpoint: aws.dynamoEndpoint }), aws.table, this.now);
    this.bridge = new S3NotificationBridge(this.s3, this.sqs, aws.bucket, aws.loadQueueUrl);
  }

  /**
   * Runs scheduled cycles until the open run completes, with `point` armed in
   * the first process (an array: one point per process, in order; the later
   * ones land while the next schedule resumes the open run). `afterCrash`
   * sees the durable state right after each crash (for invariant 2).
   */
  async runUntilComplete(
    point: CrashPoint | CrashPoint[] | undefined,
    afterCrash?: () => Promise<void>,
    maxProcesses = 6,
  ): Promise<ScheduleReport & { calls: Map<string, number> }> {
    const armed = point === undefined ? [] : Array.isArray(point) ? point : [point];
    let allFired = true;
    const report = { processes: 0, crashes: 0, planner: [] as PlannerResult[], fired: false };
    let firstCalls = new Map<string, number>();
    for (let i = 0; i < maxProcesses; i++) {
      const sw = new CrashSwitch(armed[i]);
      report.processes++;
      let held: { queueUrl: string; message: Message } | null = null;
      try {
        await this.process(sw, report.planner, (h) => (held = h));
      } catch (err) {
        if (!(err instanceof Crash)) throw err;
        report.crashes++;
        // The dead process's message reappears once its visibility timeout runs out.
        const h = held as { queueUrl: string; message: Message } | null;
        if (h) {
          await this.sqs
            .send(new ChangeMessageVisibilityCommand({ QueueUrl: h.queueUrl, ReceiptHandle: h.message.ReceiptHandle!, VisibilityTimeout: 0 }))
            .catch((e: Error) => {
              // Died right after acknowledging it: the message is gone, as it should be.
              if (e.name !== 'MessageNotInflight' && e.name !== 'ReceiptHandleIsInvalid') throw e;
            });
        }
        await afterCrash?.();
      } finally {
        if (i === 0) {
          firstCalls = sw.calls;
          report.fired = sw.fired;
        }
      }
      // The next schedule comes hours later: leases taken by the dead process have expired.
      this.offsetMs += 3 * 3600_000;
      if (armed[i] && !sw.fired) allFired = false;
      const crashed = sw.fired;
      if (!crashed && !(await this.state.getOpenRunId())) break;
    }
    return { ...report, fired: armed.length > 0 && allFired, calls: firstCalls };
  }

  /** One life of the machine: the planner, then every message until the queues are drained. */
  private async process(sw: CrashSwitch, planner: PlannerResult[], hold: (h: { queueUrl: string; message: Message } | null) => void): Promise<void> {
    const { aws } = this.world;
    const state = crashable<StateStore>(this.state, 'state', sw);
    const blobs = crashable(new S3BlobStore(this.s3, aws.bucket), 'blobs', sw);
    const shardQueue = crashable(new SqsShardQueue(this.sqs, aws.shardQueueUrl), 'shardQueue', sw);
    const loadQueue = crashable(new SqsLoadQueue(this.sqs, aws.loadQueueUrl, aws.bucket), 'loadQueue', sw);
    const sources: SourceRegistry = Object.fromEntries(Object.entries(this.world.sources()).map(([name, source]) => [name, crashable(source!, 'source', sw)]));
    const client = crashableClickHouse(this.world.client, sw);

    planner.push(await runPlanner({ state, shardQueue, loadQueue, sources, now: this.now }, { owner: randomUUID(), resumeAfterMs: 0 }));

    for (let idle = 0; idle < 2;) {
      let worked = false;
      for (;;) {
        const m = await this.receiveOne(aws.shardQueueUrl);
        if (!m) break;
        worked = true;
        hold({ queueUrl: aws.shardQueueUrl, message: m });
        const message = shardMessageSchema.parse(JSON.parse(m.Body!));
        await fetchShard({ state, blobs, shardQueue, sources, pagesPerObject: this.world.pagesPerObject }, message, () => 900_000);
        await sw.around('sqs.ackShard', () => this.sqs.send(new DeleteMessageCommand({ QueueUrl: aws.shardQueueUrl, ReceiptHandle: m.ReceiptHandle! })));
        hold(null);
      }
      // S3 sends the object-created notification whatever happens to the writer.
      await this.bridge.scan();
      const runIds: string[] = [];
      for (;;) {
        const m = await this.receiveOne(aws.loadQueueUrl);
        if (!m) break;
        worked = true;
        hold({ queueUrl: aws.loadQueueUrl, message: m });
        for (const r of s3NotificationSchema.parse(JSON.parse(m.Body!)).Records) {
          const key = decodeURIComponent(r.s3.object.key.replace(/\+/g, ' '));
          runIds.push((await loadObject({ state, blobs, client, database: this.world.database, now: this.now }, key)).runId);
        }
        await sw.around('sqs.ackLoad', () => this.sqs.send(new DeleteMessageCommand({ QueueUrl: aws.loadQueueUrl, ReceiptHandle: m.ReceiptHandle! })));
        hold(null);
      }
      await completeRuns(state, runIds);
      idle = worked ? 0 : idle + 1;
    }
  }

  private async receiveOne(queueUrl: string): Promise<Message | undefined> {
    const res = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
    return res.Messages?.[0];
  }
}
