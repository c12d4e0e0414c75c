/**
 * Plays Lambda for one deployed bundle, in a process of its own: the parent
 * forks this file with the function's environment (and nothing else of its
 * own), so importing the bundle is the cold start, as in the Node 24 runtime.
 * It then either invokes the handler once (the scheduled planner and monitor)
 * or does what the SQS event source mapping does, with the function's
 * identity: long-poll the queue, build the SQS event, call the handler,
 * delete what it finished and leave what it reports in batchItemFailures.
 *
 * Run by Node's own type stripping, not tsx: only erasable TypeScript here,
 * and nothing imported from the project but the bundle.
 *
 * Messages to the parent: `{ kind: 'ready' }`, `{ kind: 'result', value }`,
 * `{ kind: 'batch', records, failed }`, `{ kind: 'error', message }`.
 * From the parent: `'stop'` (SQS mode: finish the batch in hand, then exit).
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';

export interface DriverConfig {
  bundle: string;
  functionName: string;
  timeoutMs: number;
  memoryMb: number;
  /** `invoke`: one invocation with `event`; `sqs`: fed from `queueUrl` until told to stop. */
  mode: 'invoke' | 'sqs';
  event?: unknown;
  queueUrl?: string;
  queueArn?: string;
  batchSize?: number;
  /** Moves Date.now by this much before the cold start (the monitor at the top of the hour). */
  clockShiftMs?: number;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Resolves once the message is handed to the parent, so an exit right after cannot drop it. */
const send = (message: unknown) => new Promise<void>((resolve) => (process.send ? process.send(message, undefined, {}, () => resolve()) : resolve()));

function context(config: DriverConfig): Context {
  const deadline = Date.now() + config.timeoutMs;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: config.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${config.functionName}`,
    memoryLimitInMB: String(config.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: 'driver',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function feedFromQueue(config: DriverConfig, handler: Handler): Promise<void> {
  let running = true;
  process.on('message', (m) => {
    if (m === 'stop') running = false;
  });
  // The event source mapping's calls are made with the function's role: the default credential chain reads them from the environment.
  const sqs = new SQSClient({ region: process.env.AWS_REGION, endpoint: process.env.AWS_ENDPOINT_URL_SQS });
  while (running) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: config.queueUrl,
        MaxNumberOfMessages: config.batchSize,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages: Message[] = res.Messages ?? [];
    if (messages.length === 0) continue;
    const event: SQSEvent = {
      Records: messages.map((m) => ({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: m.Attributes?.SenderId ?? 'AROA',
          ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: config.queueArn ?? '',
        awsRegion: process.env.AWS_REGION ?? '',
      })),
    };
    let failed: Set<string>;
    try {
      const response = (await handler(event, context(config))) as { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (err) {
      // A thrown handler fails the whole batch: nothing is deleted.
      await send({ kind: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      failed = new Set(messages.map((m) => m.MessageId ?? ''));
    }
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    if (done.length > 0) {
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: config.queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
      );
      if (deleted.Failed?.length) await send({ kind: 'error', message: `could not delete ${deleted.Failed.length} message(s)` });
    }
    await send({ kind: 'batch', records: messages.length, failed: failed.size });
  }
  sqs.destroy();
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as DriverConfig;
  if (config.clockShiftMs) {
    const realNow = Date.now.bind(Date);
    const shift = config.clockShiftMs;
    Date.now = () => realNow() + shift;
  }
  const module = (await import(pathToFileURL(config.bundle).href)) as { handler?: Handler };
  if (typeof module.handler !== 'function') throw new Error(`${config.bundle} exports no handler`);
  await send({ kind: 'ready' });
  if (config.mode === 'invoke') {
    await send({ kind: 'result', value: await module.handler(config.event ?? {}, context(config)) });
  } else {
    await feedFromQueue(config, module.handler);
  }
}

// Lambda freezes the environment after the last invocation; here the process ends (the SDK's kept-alive sockets would hold it open).
main().then(
  () => process.exit(0),
  async (err: unknown) => {
    await send({ kind: 'error', message: err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err) });
    process.exit(1);
  },
);
