import { GetQueueAttributesCommand, PurgeQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client, sqsClient, dynamoDocumentClient } from '#adapters/aws/clients.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { QUEUE_SETTINGS } from '#shared/pipeline/queue-settings.ts';
import { runProgress } from '#shared/pipeline/completion.ts';
import { stagedKey } from '#shared/pipeline/messages.ts';
import { PLANNER_LEASE, type PlannerResult } from '#shared/pipeline/planner.ts';
import type { PlanWindow } from '#shared/sources/source.ts';
import type { ShardRecord } from '#shared/ports/state.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { refreshDerivedTables } from '#shared/pipeline/derive.ts';
import type { PositionsRefresh } from '#shared/positions/refresh.ts';
import { since, snapshot, type CounterSnapshot } from '#shared/telemetry/counters.ts';
import type { Warehouse } from '#shared/ports/index.ts';
import { readSettings, SOURCE_SETTINGS } from '#shared/config.ts';
import { S3BlobStore } from '#adapters/aws/s3-blob-store.ts';
import { SqsLoadQueue, SqsShardQueue } from '#adapters/aws/sqs-queues.ts';
import { buildSources } from '#shared/sources/registry.ts';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';
import { createPlannerHandler } from '#functions/handlers/planner.ts';
import { createFetcherHandler } from '#functions/handlers/fetcher.ts';
import { createLoaderHandler } from '#functions/handlers/loader.ts';
import { createObservability } from '#functions/handlers/observability.ts';
import { startLocalAws, type LocalAws } from './emulators.ts';
import { localLambdaContext, SqsEventSource } from './event-source.ts';
import { S3NotificationBridge } from './s3-notifications.ts';
import { Wakeup } from './wakeup.ts';
import { watchSources } from './source-watch.ts';

export interface CycleOptions {
  warehouse: Warehouse;
  /** Where the local AWS stand-ins keep state; ignored when `aws` is given. */
  dataDir?: string;
  /** Reuse already running stand-ins (tests share one set across cycles). */
  aws?: LocalAws;
  /**
   * Source URLs and tuning, by the variable names a Lambda reads (the CLI
   * passes its own environment). Only read: the handlers are built from it.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The handlers' log level; default WARN (a local run prints a summary of its own). */
  logLevel?: LogLevel;
  window?: PlanWindow;
  fetcherConcurrency?: number;
  /** Shards a fetcher invocation takes (the shard mapping's batch size); default QUEUE_SETTINGS.fetcherBatchSize, as deployed. The bench sets 1 to measure the one-shard fetcher. */
  shardsPerFetcher?: number;
  loaderConcurrency?: number;
  /** Like the Lambda timeout: the fetcher hands its shard back before this runs out. */
  fetcherTimeoutMs?: number;
  /** Seconds before a failed message is retried. */
  retryDelaySeconds?: number;
  deliverTwice?: boolean;
  /** Give up when nothing moves for this long. */
  stallTimeoutMs?: number;
  onProgress?: (p: CycleProgress) => void;
  signal?: AbortSignal;
}

export interface CycleProgress {
  runId: string;
  /** What the plan expects the sources to deliver: fills, and the chain's other events (it estimates logs). */
  estimatedRows: number;
  shards: number;
  shardsDone: number;
  counters: CounterSnapshot;
}

export interface CycleResult {
  ok: boolean;
  reason?: string;
  planner: PlannerResult;
  runId?: string;
  counters: CounterSnapshot;
  /** Rows the fills table gained in this cycle (what ClickHouse kept, after deduplication). */
  fillsAdded: number;
  deadLetters: { shards: number; loads: number };
  /** The positions refresh that closed the cycle (null when the chain has no watermark yet). */
  positions: PositionsRefresh | null;
  elapsedMs: number;
  /** Function invocations, and the shard messages the fetchers were handed (an invocation takes up to QUEUE_SETTINGS.fetcherBatchSize). */
  invocations: { fetcher: number; fetcherMessages: number; loader: number; failedMessages: number };
  /** When the cycle did not complete: the last error a source threw, which usually says why. */
  sourceError?: unknown;
}

/** Fetchers at once when the caller does not say (`--concurrency`'s default). */
export const DEFAULT_FETCHER_CONCURRENCY = 4;
const fetcherConcurrency = (opts: CycleOptions): number => opts.fetcherConcurrency ?? DEFAULT_FETCHER_CONCURRENCY;
const shardsPerFetcher = (opts: CycleOptions): number => opts.shardsPerFetcher ?? QUEUE_SETTINGS.fetcherBatchSize;

/** Local stand-in for the functions' timeout; queues hide a received message for 6x this, as in AWS. */
export const LOCAL_FUNCTION_TIMEOUT_MS = 120_000;

/**
 * How often the cycle looks at the run: completion when a fetcher or loader
 * invocation ends, and at least every COMPLETION_CHECK_MS. Completion is one
 * read of the run record; progress (for the bar, stall detection and the notification
 * bridge's floor) lists the run's shards and loads; dead letters are two
 * queue-depth calls, every second once an invocation has failed a message
 * (only then can one reach a dead-letter queue) and every 5 s before. The
 * emulators share the CPU with the pipeline, so only the cheap check runs often.
 */
const COMPLETION_CHECK_MS = 1_000;
const PROGRESS_CHECK_MS = 2_000;
const DEAD_LETTER_CHECK_MS = 5_000;
const DEAD_LETTER_CHECK_AFTER_FAILURE_MS = 1_000;

/**
 * One scheduled cycle on this machine: the planner, then fetchers and the
 * loader fed by their queues until the run completes, all through the same
 * handler modules Lambda runs.
 */
export async function runCycle(opts: CycleOptions): Promise<CycleResult> {
  const started = Date.now();
  const ownAws = !opts.aws;
  const aws = opts.aws ?? (await startLocalAws({ dataDir: opts.dataDir }));
  // Whatever ends the cycle (its end, an error, Ctrl-C), what it started stops: nothing may keep the process alive.
  const stops: (() => Promise<void>)[] = ownAws ? [() => aws.stop()] : [];
  try {
    return await cycle(opts, aws, started, stops);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

async function cycle(opts: CycleOptions, aws: LocalAws, started: number, stops: (() => Promise<void>)[]): Promise<CycleResult> {
  await migrate(opts.warehouse.client, opts.warehouse.database);

  const endpoint = { region: aws.region };
  const sqs = sqsClient({ ...endpoint, endpoint: aws.sqsEndpoint });
  const s3 = s3Client({ ...endpoint, endpoint: aws.s3Endpoint });
  const state = new DynamoStateStore(dynamoDocumentClient({ ...endpoint, endpoint: aws.dynamoEndpoint }), aws.table);
  const { planner, fetcher, loader, sourceError } = localHandlers(opts, aws, { sqs, s3, state });
  const before = snapshot();
  const bridge = new S3NotificationBridge(s3, sqs, aws.bucket, aws.loadQueueUrl);
  const fetcherTimeoutMs = opts.fetcherTimeoutMs ?? LOCAL_FUNCTION_TIMEOUT_MS;
  const retryDelaySeconds = opts.retryDelaySeconds ?? 2;
  // Each function fed by its queue, as Lambda's event source mapping does.
  const feed = (
    queue: 'shards' | 'loads',
    functionName: string,
    handler: unknown,
    batchSize: number,
    maxConcurrency: number,
    functionTimeoutMs: number,
    onBatchDone: () => void,
  ) =>
    new SqsEventSource({
      sqs,
      queueUrl: queue === 'shards' ? aws.shardQueueUrl : aws.loadQueueUrl,
      queueArn: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
      functionName,
      handler: handler as never,
      batchSize,
      maxConcurrency,
      functionTimeoutMs,
      deliverTwice: opts.deliverTwice,
      retryDelaySeconds,
      onBatchDone,
    });
  const invocationEnded = new Wakeup();
  // A fetcher's objects are all in the bucket once its invocation ends: the bridge announces them at once.
  const fetchers = feed('shards', 'fetcher', fetcher, shardsPerFetcher(opts), fetcherConcurrency(opts), fetcherTimeoutMs, () => {
    bridge.poke();
    invocationEnded.wake();
  });
  const loaders = feed('loads', 'loader', loader, QUEUE_SETTINGS.loaderBatchSize, opts.loaderConcurrency ?? 2, LOCAL_FUNCTION_TIMEOUT_MS, () =>
    invocationEnded.wake(),
  );
  // Pollers first, then the bridge's last listing (it announces what they staged), before the stand-ins stop.
  let feedsStopped = false;
  const stopFeeds = async () => {
    if (feedsStopped) return;
    feedsStopped = true;
    await Promise.all([fetchers.stop(), loaders.stop()]);
    await bridge.stop().catch(() => undefined);
  };
  stops.push(stopFeeds);

  const fillRows = async () => {
    const res = await opts.warehouse.client.query({ query: `SELECT count() AS n FROM ${opts.warehouse.database}.fills`, format: 'JSONEachRow' });
    return Number(((await res.json()) as [{ n: string }])[0].n);
  };
  const fillsBefore = await fillRows();

  const finish = async (planner: PlannerResult, ok: boolean, reason?: string, runId?: string): Promise<CycleResult> => {
    await stopFeeds();
    // The loaders refresh positions after each batch; this last one catches a run the fetcher closed.
    const positions = ok ? await refreshDerivedTables({ state, ...opts.warehouse }, runId ? [runId] : []) : null;
    const fillsAdded = (await fillRows()) - fillsBefore;
    const deadLetters = { shards: await depth(sqs, aws.shardDlqUrl), loads: await depth(sqs, aws.loadDlqUrl) };
    const complete = ok && deadLetters.shards === 0 && deadLetters.loads === 0;
    const lastSourceError = complete ? undefined : sourceError();
    return {
      ok: complete,
      ...(lastSourceError === undefined ? {} : { sourceError: lastSourceError }),
      reason: reason ?? (deadLetters.shards + deadLetters.loads > 0 ? 'messages reached a dead-letter queue' : undefined),
      planner,
      runId,
      counters: since(before),
      fillsAdded,
      deadLetters,
      positions,
      elapsedMs: Date.now() - started,
      invocations: {
        fetcher: fetchers.stats.invocations,
        fetcherMessages: fetchers.stats.messages,
        loader: loaders.stats.invocations,
        failedMessages: fetchers.stats.failedMessages + loaders.stats.failedMessages,
      },
    };
  };

  await bridge.primeWithExisting();
  // An open run resumes with every unfinished shard enqueued again and every unloaded object announced again
  // (see plan()); the messages an interrupted cycle left in the saved queues would have each fetched or loaded twice.
  if (await state.getOpenRunId()) {
    for (const url of [aws.shardQueueUrl, aws.loadQueueUrl]) await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  }
  const result = await plan(planner, opts, state, sourceError);
  if (result.outcome === 'busy') return finish(result, false, 'another planner holds the lease');
  const runId = result.runId;
  const estimatedRows = result.outcome === 'planned' ? result.estimatedRows : 0;

  let floorShardsDone = -1;
  const reportProgress = async () => {
    const progress = await runProgress(state, runId);
    // Shards only ever finish, so the bridge's floor can move only when the count of done ones does.
    if (progress.shardsDone !== floorShardsDone) {
      floorShardsDone = progress.shardsDone;
      bridge.setFloor(unfinishedFloor(await state.listShards(runId)));
    }
    const counters = since(before);
    opts.onProgress?.({ runId, estimatedRows, shards: progress.shards, shardsDone: progress.shardsDone, counters });
    return `${progress.shardsDone}/${progress.objectsStaged}/${progress.objectsLoaded}/${counters.SourceRequests}/${fetchers.stats.invocations}/${loaders.stats.invocations}`;
  };
  // Before any fetcher runs: the bridge needs its floor from the start.
  let lastSignature = await reportProgress();
  let lastMove = Date.now();
  let nextProgress = lastMove + PROGRESS_CHECK_MS;
  let lastDeadLetterCheck = -Infinity;
  const stallTimeoutMs = opts.stallTimeoutMs ?? 10 * 60_000;
  fetchers.start();
  loaders.start();
  bridge.start();
  for (;;) {
    // A run completes in a fetcher or loader invocation: look when one ends, and at least every COMPLETION_CHECK_MS.
    await invocationEnded.next(COMPLETION_CHECK_MS);
    const run = await state.getRun(runId);
    if (run?.status === 'complete') {
      await reportProgress();
      return finish(result, true, undefined, runId);
    }
    if (opts.signal?.aborted) return finish(result, false, 'interrupted', runId);
    const now = Date.now();
    const failedSoFar = fetchers.stats.failedMessages + loaders.stats.failedMessages;
    if (now >= lastDeadLetterCheck + (failedSoFar > 0 ? DEAD_LETTER_CHECK_AFTER_FAILURE_MS : DEAD_LETTER_CHECK_MS)) {
      lastDeadLetterCheck = now;
      const dead = (await depth(sqs, aws.shardDlqUrl)) + (await depth(sqs, aws.loadDlqUrl));
      if (dead > 0) return finish(result, false, `${dead} message(s) reached a dead-letter queue`, runId);
    }
    if (now < nextProgress) continue;
    nextProgress = now + PROGRESS_CHECK_MS;
    const signature = await reportProgress();
    if (signature !== lastSignature) {
      lastSignature = signature;
      lastMove = Date.now();
    } else if (Date.now() - lastMove > stallTimeoutMs) {
      return finish(result, false, `no progress for ${Math.round(stallTimeoutMs / 1000)} s`, runId);
    }
  }
}

/**
 * The handlers Lambda runs, built here from the local stand-ins and the
 * cycle's settings instead of from a function's environment.
 */
function localHandlers(opts: CycleOptions, aws: LocalAws, clients: { sqs: SQSClient; s3: S3Client; state: DynamoStateStore }) {
  const settings = opts.env ?? {};
  const { sources, lastError: sourceError } = watchSources(buildSources(readSettings(SOURCE_SETTINGS, settings)));
  const {
    PAGES_PER_OBJECT: pagesPerObject,
    FETCHER_CONCURRENCY: plannedConcurrency,
    ...endpoints
  } = readSettings(['PAGES_PER_OBJECT', 'FETCHER_CONCURRENCY', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SQS'], settings);
  // The handlers reach AWS where the settings say, as in Lambda (the soak puts fault proxies there);
  // the cycle's own bookkeeping talks to the stand-ins directly.
  const region = { region: aws.region };
  const s3 = endpoints.AWS_ENDPOINT_URL_S3 ? s3Client({ ...region, endpoint: endpoints.AWS_ENDPOINT_URL_S3 }) : clients.s3;
  const sqs = endpoints.AWS_ENDPOINT_URL_SQS ? sqsClient({ ...region, endpoint: endpoints.AWS_ENDPOINT_URL_SQS }) : clients.sqs;
  const state = endpoints.AWS_ENDPOINT_URL_DYNAMODB
    ? new DynamoStateStore(dynamoDocumentClient({ ...region, endpoint: endpoints.AWS_ENDPOINT_URL_DYNAMODB }), aws.table)
    : clients.state;
  const observability = () =>
    createObservability({ service: 'polymarket-sync', namespace: 'PolymarketSync', stage: 'local', logLevel: opts.logLevel ?? 'WARN', publishMetrics: false });
  const pipeline = {
    state,
    blobs: new S3BlobStore(s3, aws.bucket),
    shardQueue: new SqsShardQueue(sqs, aws.shardQueueUrl),
    loadQueue: new SqsLoadQueue(sqs, aws.loadQueueUrl, aws.bucket),
  };
  return {
    // The planner sizes shards for the fetchers this cycle runs (FETCHER_CONCURRENCY in the settings overrides, as a Lambda reads it; 0: by rows alone).
    planner: createPlannerHandler({ ...pipeline, sources, fetcherConcurrency: plannedConcurrency ?? fetcherConcurrency(opts), ...observability() }),
    fetcher: createFetcherHandler({ ...pipeline, sources, pagesPerObject, ...observability() }),
    loader: createLoaderHandler({ ...pipeline, warehouse: async () => opts.warehouse, ...observability() }),
    sourceError,
  };
}

/** The cycle was stopped (Ctrl-C) before its plan was recorded: a re-run plans again. */
export class PlanningInterruptedError extends Error {
  override name = 'PlanningInterruptedError';
}

/**
 * The planner, as the schedule invokes it. Ctrl-C ends the wait at once: the
 * planner records its shards before the run that points at them, so one cut
 * short leaves nothing a re-run trips over, and its lease is given back so
 * the re-run need not wait for it to expire. A failure is rethrown as the
 * source's own error when a source caused it (the handler keeps only the message).
 */
async function plan(
  planner: (event: unknown, context: Context) => Promise<unknown>,
  opts: CycleOptions,
  state: DynamoStateStore,
  sourceError: () => unknown,
): Promise<PlannerResult> {
  const context = localLambdaContext('planner', 15 * 60_000);
  const planning = planner({ resumeAfterMinutes: 0, window: opts.window }, context) as Promise<PlannerResult>;
  const signal = opts.signal;
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new PlanningInterruptedError('interrupted while planning; nothing was fetched yet: run the command again to start over'));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([planning, interrupted]);
  } catch (err) {
    if (err instanceof PlanningInterruptedError) {
      planning.catch(() => undefined);
      await state.releaseLease(PLANNER_LEASE, context.awsRequestId).catch(() => undefined);
      throw err;
    }
    throw sourceError() ?? err;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    interrupted.catch(() => undefined);
  }
}

/** The lowest key a shard not yet done may still stage (its prefix), or null when all are done. */
function unfinishedFloor(shards: ShardRecord[]): string | null {
  let floor: string | null = null;
  for (const s of shards) {
    if (s.done) continue;
    const key = stagedKey({ runId: s.runId, source: s.source, shardId: s.shardId, seq: 0 });
    const prefix = key.slice(0, key.lastIndexOf('/') + 1);
    if (floor === null || prefix < floor) floor = prefix;
  }
  return floor;
}

async function depth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(res.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}
