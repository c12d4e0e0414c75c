import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';
import { SqsEventSource } from '#local/event-source.ts';
import { runCycle } from '#local/runner.ts';
import type { ApproachRequest, ApproachResult } from '#bench/lib/types.ts';
import { countAwsCalls, currentFunction } from '#bench/lib/instrument.ts';
import { distinctFills, freshWarehouse } from './common.ts';

type Invocations = NonNullable<ApproachResult['invocations']>;
let invocations: Invocations = {};
const awsCalls: Record<string, number> = {};
/** Before the first fetcher invocation of a cycle, calls outside a function are the planner's. */
let phase: 'planner' | 'harness' = 'planner';
let firstFetcherAt = 0;

type InvokeFn = (this: { opts: { functionName: string } }, messages: unknown[]) => Promise<Set<string>>;
const proto = SqsEventSource.prototype as unknown as { invoke: InvokeFn };
const originalInvoke = proto.invoke;
// Times each simulated Lambda invocation and tags the AWS calls it makes with its function name.
proto.invoke = async function (messages) {
  const fn = this.opts.functionName;
  const started = Date.now();
  if (fn === 'fetcher' && phase === 'planner') {
    phase = 'harness';
    firstFetcherAt = started;
  }
  try {
    return await currentFunction.run(fn, () => originalInvoke.call(this, messages));
  } finally {
    const ms = Date.now() - started;
    const s = (invocations[fn] ??= { count: 0, totalMs: 0, maxMs: 0 });
    s.count++;
    s.totalMs += ms;
    s.maxMs = Math.max(s.maxMs, ms);
  }
};
countAwsCalls({ S3: S3Client as never, SQS: SQSClient as never, DynamoDB: DynamoDBDocumentClient as never }, awsCalls, () => phase);

let state: { aws: LocalAws; wh: Awaited<ReturnType<typeof freshWarehouse>> } | null = null;

/** One cycle of our pipeline through the local runner: a backfill on the first call, an incremental run after. */
export async function pipelineCycle(req: ApproachRequest): Promise<ApproachResult> {
  if (req.kind === 'pipeline-backfill' && state) throw new Error('the pipeline child runs one backfill');
  state ??= { aws: await startLocalAws({}), wh: await freshWarehouse(req.dir, 'bench_pipeline') };
  const { aws, wh } = state;
  invocations = {};
  for (const k of Object.keys(awsCalls)) delete awsCalls[k];
  phase = 'planner';
  firstFetcherAt = 0;
  const insertsBefore = wh.counts.inserts;
  const before = await distinctFills(wh.raw, wh.database);
  const started = Date.now();
  const result = await runCycle({
    warehouse: { client: wh.client, database: wh.database },
    aws,
    // Handler logs below ERROR would drown the report.
    logLevel: 'ERROR',
    env: {
      POLYMARKET_SUBGRAPH_URL: req.sources.subgraphUrl,
      POLYMARKET_MARKETS_URL: req.sources.marketsUrl,
      // The bench compares fill-fetching approaches: only the CLOB list, as before the other lists existed.
      MARKET_LISTS: 'clob',
      SYNC_SOURCES: 'markets,subgraph',
      ...(req.pagesPerObject ? { PAGES_PER_OBJECT: String(req.pagesPerObject) } : {}),
      ...(req.sourceRequestsPerSecond
        ? { SUBGRAPH_REQUESTS_PER_SECOND: String(req.sourceRequestsPerSecond), MARKETS_REQUESTS_PER_SECOND: String(req.sourceRequestsPerSecond) }
        : {}),
    },
    fetcherConcurrency: req.workers,
    stallTimeoutMs: 120_000,
  });
  const wallMs = Date.now() - started;
  const inWarehouse = await distinctFills(wh.raw, wh.database);
  const c = result.counters;
  const ok = result.ok && inWarehouse === req.expectedFills;
  return {
    kind: req.kind,
    ok,
    reason: result.reason ?? (inWarehouse === req.expectedFills ? undefined : `${req.expectedFills - inWarehouse} fills missing`),
    wallMs,
    fillsLoaded: c.FillsLoaded,
    fillsInWarehouse: inWarehouse,
    clickhouseInserts: wh.counts.inserts - insertsBefore,
    clientRequests: c.SourceRequests,
    clientThrottled: c.SourceThrottled,
    extra: {
      newFills: inWarehouse - before,
      shards: result.planner.outcome === 'planned' ? result.planner.shards : 0,
      objectsStaged: c.ObjectsStaged,
      objectsLoaded: c.ObjectsLoaded,
      marketsLoaded: c.MarketsLoaded,
      retries: c.SourceRetries,
      fetcherInvocations: result.invocations.fetcher,
      loaderInvocations: result.invocations.loader,
      failedMessages: result.invocations.failedMessages,
      shardsHandedBack: c.ShardsHandedBack,
      plannerMs: firstFetcherAt ? firstFetcherAt - started : wallMs,
    },
    invocations,
    awsCalls: { ...awsCalls },
  };
}

export async function closePipeline(): Promise<void> {
  if (!state) return;
  await state.aws.stop();
  await state.wh.raw.close();
  state = null;
}
