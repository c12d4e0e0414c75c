import { randomUUID } from 'node:crypto';
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface EventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  functionName: string;
  handler: SqsHandler;
  batchSize: number;
  /** The event source mapping's maxConcurrency: at most this many invocations at once. */
  maxConcurrency: number;
  /** What getRemainingTimeInMillis counts down from, like the function's timeout. */
  functionTimeoutMs: number;
  /** Deliver every message twice (two invocations), to prove handlers are idempotent. */
  deliverTwice?: boolean;
  /**
   * Seconds before a failed message is offered again. Lambda leaves it to the
   * visibility timeout (6x the function timeout); locally that is too long to wait.
   */
  retryDelaySeconds?: number;
  /** Called after each invocation, once its messages are deleted or set to retry: what the runner waits on. */
  onBatchDone?: () => void;
}

export interface EventSourceStats {
  invocations: number;
  messages: number;
  failedMessages: number;
  handlerErrors: number;
}

/**
 * The local stand-in for Lambda's SQS event source mapping: long-polls the
 * queue, invokes the handler with a real-shaped SQS event, deletes what the
 * handler reports as done and leaves failed messages to reappear after their
 * visibility timeout (and reach the DLQ by the queue's redrive policy).
 */
export class SqsEventSource {
  readonly stats: EventSourceStats = { invocations: 0, messages: 0, failedMessages: 0, handlerErrors: 0 };
  private running = false;
  private workers: Promise<void>[] = [];
  private busy = 0;
  lastError: unknown;

  constructor(private readonly opts: EventSourceOptions) {}

  /** True when no invocation is running. */
  get idle(): boolean {
    return this.busy === 0;
  }

  start(): void {
    this.running = true;
    for (let i = 0; i < this.opts.maxConcurrency; i++) this.workers.push(this.work());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async work(): Promise<void> {
    while (this.running) {
      let messages: Message[];
      try {
        const res = await this.opts.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.opts.queueUrl,
            MaxNumberOfMessages: this.opts.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        );
        messages = res.Messages ?? [];
      } catch (err) {
        this.lastError = err;
        if (this.running) await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (messages.length === 0) continue;
      this.busy++;
      try {
        const failed = await this.invoke(messages);
        if (this.opts.deliverTwice) {
          for (const id of await this.invoke(messages)) failed.add(id);
        }
        const retry = messages.filter((m) => failed.has(m.MessageId!));
        if (retry.length > 0 && this.opts.retryDelaySeconds !== undefined) {
          // At least a second: a zero visibility change makes fauxqs (with a data directory) drop the message.
          const delay = Math.max(1, Math.round(this.opts.retryDelaySeconds));
          const res = await this.opts.sqs
            .send(
              new ChangeMessageVisibilityBatchCommand({
                QueueUrl: this.opts.queueUrl,
                Entries: retry.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: delay })),
              }),
            )
            .catch((err: unknown) => ({ Failed: [{ Message: String((err as Error).message) }] }));
          // Failing to shorten the delay (an entry or the whole call) is harmless: the message reappears after its visibility timeout.
          if (res.Failed?.length) this.lastError = new Error(`could not schedule the retry of ${res.Failed.length} message(s): ${res.Failed[0]?.Message}`);
        }
        const done = messages.filter((m) => !failed.has(m.MessageId!));
        if (done.length > 0) {
          const res = await this.opts.sqs
            .send(
              new DeleteMessageBatchCommand({
                QueueUrl: this.opts.queueUrl,
                Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
              }),
            )
            .catch((err: unknown) => ({ Failed: done.map(() => ({ Message: String((err as Error).message) })) }));
          // An undeleted message (an entry refused, or the whole call failed after the SDK's retries) is delivered again,
          // and every handler is idempotent: note it, carry on. Unhandled, a failed call ended this poller and the process.
          if (res.Failed?.length) this.lastError = new Error(`could not delete ${res.Failed.length} message(s): ${res.Failed[0]?.Message}`);
        }
      } finally {
        this.busy--;
        this.opts.onBatchDone?.();
      }
    }
  }

  /** Returns the ids of messages the handler did not finish. */
  private async invoke(messages: Message[]): Promise<Set<string>> {
    this.stats.invocations++;
    this.stats.messages += messages.length;
    const event: SQSEvent = {
      Records: messages.map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: this.opts.queueArn,
        awsRegion: 'us-east-1',
      })),
    };
    const context = localLambdaContext(this.opts.functionName, this.opts.functionTimeoutMs);
    try {
      const response = await this.opts.handler(event, context);
      const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      this.stats.failedMessages += failed.size;
      return failed;
    } catch (err) {
      // A handler that throws fails the whole batch, as in Lambda.
      this.lastError = err;
      this.stats.handlerErrors++;
      this.stats.failedMessages += messages.length;
      return new Set(messages.map((m) => m.MessageId!));
    }
  }
}

/** A Lambda context as the handlers see it, whose remaining time counts down from the function timeout. */
export function localLambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
