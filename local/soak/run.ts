/**
 * The chaos soak: one sync, through the local runner and the real handlers,
 * over a simulated Polygon (both eras) with the orderbook subgraph and the
 * market lists beside it, while everything around it misbehaves: the
 * subgraph and the lists, the JSON-RPC provider, S3, DynamoDB, SQS and
 * ClickHouse. Cycles run until the run completes (dead letters are redriven
 * between cycles, as an operator would), then the warehouse is compared with
 * the world: fills and chain activity id by id, positions and wallets field by field.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient } from '#adapters/aws/clients.ts';
import { redrive } from '#shared/ops/redrive.ts';
import { SqsDeadLetterQueues } from '#adapters/aws/sqs-dead-letters.ts';
import { COUNTER_NAMES, type CounterSnapshot } from '#shared/telemetry/counters.ts';
import { startSimulatedSources } from '#simulator/index.ts';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';
import { runCycle, type CycleOptions, type CycleResult } from '#local/runner.ts';
import { startChainFaultProxy } from './chain-faults.ts';
import { compareActivity, compareFills, comparePositions, compareWallets } from './checks.ts';
import { startFaultProxy } from './fault-proxy.ts';
import { clickHouseOutage, dynamoFaults, faultDraws, s3Faults, sourceFaults } from './recipes.ts';
import { tallyFaults, type SoakReport } from './report.ts';
import { sqsFaults } from './sqs-faults.ts';
import { buildSoakWorld } from './world.ts';

export interface SoakOptions {
  /** Fills of the simulated world (the world adds its scripted ones); a third are V2, read from the chain. */
  fills: number;
  markets: number;
  seed: number;
  /** Share of subgraph and market-list requests hit by each fault kind (429, 5xx, ...); see sourceFaults. */
  sourceFaultRate: number;
  /** Share of JSON-RPC requests failed per family (429s, 5xx); see CHAIN_FAULT_MIX. */
  chainFaultRate: number;
  /** The JSON-RPC provider's eth_getLogs result cap (the source is not told it). */
  rpcMaxResults: number;
  /**
   * Rows a chain shard aims at (CHAIN_ROWS_PER_SHARD); unset, the pipeline's default. A small world is cut into a few
   * shards for parallelism alone, and a few shards are a few SQS batches: fewer than the SQS fault script needs.
   */
  chainRowsPerShard?: number | undefined;
  s3FaultRate: number;
  dynamoFaultRate: number;
  /** Share of SQS calls failed whole, and of batch calls that lose one entry; see sqsFaults. */
  sqsFaultRate: number;
  clickhouseOutageMs: number;
  fetcherConcurrency: number;
  pagesPerObject: number;
  maxCycles: number;
  /** Reuse a chDB client (tests: one data directory per process); default a fresh one in a temp dir. */
  client?: ClickHouseClient;
  database?: string;
  /** The handlers' log level; default the runner's. */
  logLevel?: CycleOptions['logLevel'];
  log?: (line: string) => void;
}

export const SOAK_DEFAULTS: SoakOptions = {
  fills: 50_000,
  markets: 250,
  seed: 7,
  sourceFaultRate: 0.02,
  chainFaultRate: 0.05,
  rpcMaxResults: 1_000,
  s3FaultRate: 0.05,
  dynamoFaultRate: 0.03,
  sqsFaultRate: 0.03,
  clickhouseOutageMs: 10_000,
  fetcherConcurrency: 4,
  pagesPerObject: 5,
  maxCycles: 8,
};
/** Where a cycle's unfinished work sits: waiting, in flight (invisible), or nowhere (to be re-announced by the next planner). */
async function describeStall(sqs: SQSClient, aws: LocalAws, cycle: number, reason: string | undefined): Promise<string> {
  const attrs = async (url: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] })))
      .Attributes ?? {};
  const [shards, loads] = [await attrs(aws.shardQueueUrl), await attrs(aws.loadQueueUrl)];
  return (
    `cycle ${cycle}: ${reason}; shard queue ${shards.ApproximateNumberOfMessages} waiting/${shards.ApproximateNumberOfMessagesNotVisible} in flight, ` +
    `load queue ${loads.ApproximateNumberOfMessages}/${loads.ApproximateNumberOfMessagesNotVisible}`
  );
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  // A rate left undefined would silently inject nothing (every draw compares false).
  for (const [k, v] of Object.entries(SOAK_DEFAULTS)) {
    const got = o[k as keyof SoakOptions];
    if (typeof v === 'number' && (typeof got !== 'number' || !Number.isFinite(got))) throw new Error(`soak: option ${k} must be a number, got ${String(got)}`);
  }
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const dir = o.client ? null : mkdtempSync(join(tmpdir(), 'pmsync-soak-'));
  const forgetDir = dir ? removeOnInterrupt(dir) : () => undefined;
  const client = o.client ?? embeddedClient(dir!);
  const database = o.database ?? 'soak';
  const random = faultDraws(o.seed);

  log(`building a simulated chain of about ${o.fills.toLocaleString('en-US')} fills over ${o.markets.toLocaleString('en-US')} markets (seed ${o.seed})`);
  const w = await buildSoakWorld(o);
  const worldMs = Date.now() - started;
  const fillIds = w.fillIds();
  log(
    `world built in ${(worldMs / 1000).toFixed(1)} s: ${fillIds.length.toLocaleString('en-US')} fills (${w.chainFills.length.toLocaleString('en-US')} on the chain's V2 exchanges), ${w.world.expected.activity.length.toLocaleString('en-US')} activity events`,
  );
  const stops: (() => Promise<void>)[] = [() => w.world.close()];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const sim = await startSimulatedSources({ dataset: w.dataset, faults: sourceFaults(o.sourceFaultRate, o.seed, false) });
    stops.push(() => sim.close());
    const rpc = await startChainFaultProxy(w.world.rpcUrl, { rate: o.chainFaultRate, maxResults: o.rpcMaxResults, random: faultDraws(o.seed + 2) });
    stops.push(() => rpc.close());
    const aws: LocalAws = await startLocalAws({});
    stops.push(() => aws.stop());
    const proxy = async (target: string, decide: Parameters<typeof startFaultProxy>[1]) => {
      const p = await startFaultProxy(target, decide);
      stops.push(() => p.close());
      return p;
    };
    const s3Proxy = await proxy(aws.s3Endpoint, s3Faults(o.s3FaultRate, random));
    const dynamoProxy = await proxy(aws.dynamoEndpoint, dynamoFaults(o.dynamoFaultRate, random));
    const sqsRandom = faultDraws(o.seed + 3);
    const sqsHandlers = await proxy(aws.sqsEndpoint, sqsFaults(o.sqsFaultRate, sqsRandom, 'handlers'));
    const sqsPoller = await proxy(aws.sqsEndpoint, sqsFaults(o.sqsFaultRate, sqsRandom, 'event source'));
    const expectedObjects = Math.ceil(fillIds.length / (1000 * o.pagesPerObject));
    const outage = clickHouseOutage(client, Math.max(2, Math.floor(expectedObjects / 3)), o.clickhouseOutageMs);
    // The operator's redrive talks to SQS directly, as the runner's queue-depth reads do.
    const sqs = sqsClient({ region: aws.region, endpoint: aws.sqsEndpoint });
    const dlqs = new SqsDeadLetterQueues(
      sqs,
      { shards: { queueUrl: aws.shardQueueUrl, dlqUrl: aws.shardDlqUrl }, loads: { queueUrl: aws.loadQueueUrl, dlqUrl: aws.loadDlqUrl } },
      { method: 'copy' },
    );

    const totals = Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as CounterSnapshot;
    const cycleErrors: string[] = [];
    const stalls: string[] = [];
    let cycles = 0;
    let redeliveries = 0;
    let redriven = 0;
    let complete = false;
    let switchedRetryAfter = false;
    while (!complete && cycles < o.maxCycles) {
      cycles++;
      let result: CycleResult;
      try {
        result = await runCycle({
          warehouse: { client: outage.client, database },
          // Lambda's side of SQS (polling, deleting, hiding for a retry) goes through the event-source proxy.
          aws: { ...aws, sqsEndpoint: sqsPoller.url },
          env: {
            ...sim.env,
            ...w.world.env,
            ...w.sources,
            // The chain source reaches the simulated chain only through the faulty provider.
            POLYGON_RPC_URL: rpc.url,
            SOURCE_TIMEOUT_MS: '2000',
            PAGES_PER_OBJECT: String(o.pagesPerObject),
            ...(o.chainRowsPerShard ? { CHAIN_ROWS_PER_SHARD: String(o.chainRowsPerShard) } : {}),
            // The handlers reach S3, DynamoDB and SQS only through the fault proxies.
            AWS_ENDPOINT_URL_S3: s3Proxy.url,
            AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.url,
            AWS_ENDPOINT_URL_SQS: sqsHandlers.url,
          },
          logLevel: o.logLevel,
          fetcherConcurrency: o.fetcherConcurrency,
          retryDelaySeconds: 2,
          stallTimeoutMs: 120_000,
          onProgress: (p) => {
            // Halfway through, the subgraph's and the lists' 429s start carrying Retry-After.
            if (!switchedRetryAfter && p.counters.FillsLoaded >= fillIds.length / 2) {
              switchedRetryAfter = true;
              for (const server of [sim.subgraph, sim.markets, sim.gamma]) server.setFaults(sourceFaults(o.sourceFaultRate, o.seed + 1, true));
            }
          },
        });
      } catch (err) {
        cycleErrors.push((err as Error).message.slice(0, 200));
        log(`cycle ${cycles} failed: ${(err as Error).message.slice(0, 200)}`);
        await new Promise((r) => setTimeout(r, 2_000));
        continue;
      }
      for (const n of COUNTER_NAMES) totals[n] += result.counters[n];
      if (!result.ok) {
        stalls.push(await describeStall(sqs, aws, cycles, result.reason));
        log(stalls.at(-1)!);
      }
      redeliveries += result.invocations.failedMessages;
      complete = result.ok;
      log(
        `cycle ${cycles}: ${result.ok ? 'complete' : `not complete (${result.reason})`}; ${result.counters.FillsLoaded.toLocaleString('en-US')} fill rows loaded, ` +
          `${result.invocations.failedMessages} failed deliveries, dead letters ${result.deadLetters.shards}+${result.deadLetters.loads}, ${(result.elapsedMs / 1000).toFixed(1)} s`,
      );
      if (result.deadLetters.shards + result.deadLetters.loads > 0) {
        const r = await redrive(dlqs);
        const moved = r.results.reduce((n, x) => n + x.moved, 0);
        redriven += moved;
        log(`redrove ${moved} dead letter(s)`);
        complete = false;
      }
    }
    await stopAll();

    const fills = await compareFills(client, database, fillIds);
    const activity = await compareActivity(client, database, w.world.expected.activity);
    const positions = await comparePositions(client, database, w.positions());
    const wallets = await compareWallets(client, database, w.world.expected.wallets);
    const faults = tallyFaults({
      sources: { subgraph: sim.subgraph.stats.faults, markets: sim.markets.stats.faults, gamma: sim.gamma.stats.faults },
      chain: rpc.injected,
      proxies: { s3: [s3Proxy.injected], dynamodb: [dynamoProxy.injected], sqs: [sqsHandlers.injected, sqsPoller.injected] },
      clickhouse: { refused: outage.refused, outageMs: o.clickhouseOutageMs },
    });
    const exact = (c: typeof fills) =>
      c.lost === 0 && c.duplicates === 0 && c.unexpected === 0 && c.loaded.rows === c.expected && c.loaded.final === c.expected;
    return {
      ok: complete && exact(fills) && exact(activity) && [positions, wallets].every((c) => c.differing === 0 && c.loaded === c.expected),
      fills: fills.expected,
      markets: w.world.markets.length,
      cycles,
      cycleErrors,
      stalls,
      wallMs: Date.now() - started,
      worldMs,
      faults,
      requests: { chain: rpc.requests, s3: s3Proxy.requests, dynamodb: dynamoProxy.requests, sqs: sqsHandlers.requests + sqsPoller.requests },
      retries: { source: totals.SourceRetries, awsSdk: [s3Proxy, dynamoProxy, sqsHandlers, sqsPoller].reduce((a, p) => a + p.sdkRetries, 0) },
      redeliveries,
      redriven,
      loaded: fills.loaded,
      lost: fills.lost,
      duplicates: fills.duplicates,
      unexpected: fills.unexpected,
      activity,
      positions,
      wallets,
      counters: totals,
    };
  } finally {
    await stopAll();
    if (dir) {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
    forgetDir();
  }
}

/**
 * Ctrl-C (or a kill) ends the process without running `finally`: the soak's
 * scratch engine directory, gigabytes on a large world, goes first, then the
 * signal takes its default course. Returns what stops listening.
 */
function removeOnInterrupt(dir: string): () => void {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    forget();
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  const forget = () => signals.forEach((s) => process.off(s, onSignal));
  signals.forEach((s) => process.on(s, onSignal));
  return forget;
}
