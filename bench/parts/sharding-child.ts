/**
 * One backfill of the sharding part in its own process (bench/parts/sharding.ts
 * forks it over IPC): a whole local cycle through runCycle, the planner told
 * the fetchers' concurrency or not, with the fetch phase timed from the first
 * fetcher invocation to the last.
 */
import { SqsEventSource } from '#local/event-source.ts';
import { startLocalAws } from '#local/emulators.ts';
import { runCycle } from '#local/runner.ts';
import { snapshot, type CounterName, type CounterSnapshot } from '#shared/telemetry/counters.ts';
import { distinctFills, freshWarehouse } from '#bench/approaches/common.ts';
import { dynamoDocumentClient } from '#adapters/aws/clients.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';

export interface ShardingRequest {
  subgraphUrl: string;
  /** The subgraph's allowance the pipeline paces at (SUBGRAPH_REQUESTS_PER_SECOND). */
  rate: number;
  fetchers: number;
  /** False: the planner is told no concurrency (FETCHER_CONCURRENCY=0), so shards are sized by rows alone, as before. */
  sizeByParallelism: boolean;
  /** Shards a fetcher invocation takes and fetches side by side (the shard mapping's batch size). */
  shardsPerFetcher: number;
  pageSize: number;
  dir: string;
  expectedFills: number;
}

export interface ShardingResult {
  ok: boolean;
  reason?: string;
  shards: number;
  wallMs: number;
  /** Cycle start to the first fetcher invocation. */
  plannerMs: number;
  /** First fetcher invocation's start to the last one's end. */
  fetchMs: number;
  /** Source requests the fetchers made (the planner's before them not counted). */
  fetchRequests: number;
  fillsStaged: number;
  fillsInWarehouse: number;
  fetcherInvocations: number;
  longestFetcherMs: number;
  /** Rows each shard staged, in the planner's order (for the schedule model in sharding.ts). */
  shardRows: number[];
}

type InvokeFn = (this: { opts: { functionName: string } }, messages: unknown[]) => Promise<Set<string>>;
const proto = SqsEventSource.prototype as unknown as { invoke: InvokeFn };
const originalInvoke = proto.invoke;
const fetch = { first: 0, last: 0, count: 0, longest: 0, atFirst: null as CounterSnapshot | null, atLast: null as CounterSnapshot | null };
proto.invoke = async function (messages) {
  if (this.opts.functionName !== 'fetcher') return originalInvoke.call(this, messages);
  const started = Date.now();
  if (!fetch.first) {
    fetch.first = started;
    fetch.atFirst = snapshot();
  }
  try {
    return await originalInvoke.call(this, messages);
  } finally {
    fetch.count++;
    fetch.last = Date.now();
    fetch.longest = Math.max(fetch.longest, fetch.last - started);
    fetch.atLast = snapshot();
  }
};

async function backfill(req: ShardingRequest): Promise<ShardingResult> {
  const aws = await startLocalAws({});
  const wh = await freshWarehouse(req.dir, 'bench_sharding');
  try {
    const started = Date.now();
    const result = await runCycle({
      warehouse: { client: wh.client, database: wh.database },
      aws,
      logLevel: 'ERROR',
      env: {
        POLYMARKET_SUBGRAPH_URL: req.subgraphUrl,
        // The subgraph alone: the part measures its allowance; the market list is another API with its own.
        SYNC_SOURCES: 'subgraph',
        SUBGRAPH_REQUESTS_PER_SECOND: String(req.rate),
        SUBGRAPH_PAGE_SIZE: String(req.pageSize),
        ...(req.sizeByParallelism ? {} : { FETCHER_CONCURRENCY: '0' }),
      },
      fetcherConcurrency: req.fetchers,
      shardsPerFetcher: req.shardsPerFetcher,
      stallTimeoutMs: 120_000,
    });
    const wallMs = Date.now() - started;
    const inWarehouse = await distinctFills(wh.raw, wh.database);
    const during = (name: CounterName) => (fetch.atFirst && fetch.atLast ? fetch.atLast[name] - fetch.atFirst[name] : 0);
    const ok = result.ok && inWarehouse === req.expectedFills;
    const state = new DynamoStateStore(dynamoDocumentClient({ region: aws.region, endpoint: aws.dynamoEndpoint }), aws.table);
    const shards = result.runId ? await state.listShards(result.runId) : [];
    const shardRows = shards.sort((a, b) => (a.shardId < b.shardId ? -1 : 1)).map((s) => s.rowsStaged);
    return {
      ok,
      ...(ok ? {} : { reason: result.reason ?? `${inWarehouse} distinct fills in the warehouse, ${req.expectedFills} in the source` }),
      shards: result.planner.outcome === 'planned' ? result.planner.shards : 0,
      wallMs,
      plannerMs: fetch.first ? fetch.first - started : wallMs,
      fetchMs: fetch.last - fetch.first,
      fetchRequests: during('SourceRequests'),
      fillsStaged: during('FillsStaged'),
      fillsInWarehouse: inWarehouse,
      fetcherInvocations: fetch.count,
      longestFetcherMs: fetch.longest,
      shardRows,
    };
  } finally {
    await aws.stop();
    await wh.raw.close();
  }
}

process.on('message', (req: ShardingRequest) => {
  backfill(req).then(
    (result) => process.send?.({ type: 'result', result }),
    (err: Error) => process.send?.({ type: 'error', message: err.stack ?? err.message }),
  );
});
process.send?.({ type: 'ready' });
