/**
 * The chaos soak: one sync, through the local runner and the real handlers,
 * over a large simulated history while everything around it misbehaves.
 * Cycles run until the run completes (dead letters are redriven between
 * cycles, as an operator would), then the warehouse is compared with the
 * source fill by fill.
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
import { generateDataset, startSimulatedSources, type Dataset } from '#simulator/index.ts';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';
import { runCycle, type CycleOptions, type CycleResult } from '#local/runner.ts';
import { startFaultProxy } from './fault-proxy.ts';
import { clickHouseOutage, dynamoFaults, faultDraws, s3Faults, sourceFaults } from './recipes.ts';
import { compareFills, tallyFaults, type SoakReport } from './report.ts';

export interface SoakOptions {
  fills: number;
  markets: number;
  seed: number;
  /** Share of source requests hit by each fault kind (429, 5xx, ...); see sourceFaults. */
  sourceFaultRate: number;
  s3FaultRate: number;
  dynamoFaultRate: number;
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
  fills: 1_000_000,
  markets: 5_000,
  seed: 7,
  sourceFaultRate: 0.02,
  s3FaultRate: 0.05,
  dynamoFaultRate: 0.03,
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
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const dir = o.client ? null : mkdtempSync(join(tmpdir(), 'pmsync-soak-'));
  const client = o.client ?? embeddedClient(dir!);
  const database = o.database ?? 'soak';
  const random = faultDraws(o.seed);

  log(`generating ${o.fills.toLocaleString('en-US')} fills over ${o.markets.toLocaleString('en-US')} markets (seed ${o.seed})`);
  const dataset: Dataset = generateDataset({ seed: o.seed, markets: o.markets, fills: o.fills });
  const sim = await startSimulatedSources({ dataset, faults: sourceFaults(o.sourceFaultRate, o.seed, false) });
  const aws: LocalAws = await startLocalAws({});
  const s3Proxy = await startFaultProxy(aws.s3Endpoint, s3Faults(o.s3FaultRate, random));
  const dynamoProxy = await startFaultProxy(aws.dynamoEndpoint, dynamoFaults(o.dynamoFaultRate, random));
  const expectedObjects = Math.ceil(o.fills / (1000 * o.pagesPerObject));
  const outage = clickHouseOutage(client, Math.max(2, Math.floor(expectedObjects / 3)), o.clickhouseOutageMs);
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
  try {
    while (!complete && cycles < o.maxCycles) {
      cycles++;
      let result: CycleResult;
      try {
        result = await runCycle({
          warehouse: { client: outage.client, database },
          aws,
          env: {
            ...sim.env,
            SYNC_SOURCES: 'markets,subgraph',
            SOURCE_TIMEOUT_MS: '2000',
            PAGES_PER_OBJECT: String(o.pagesPerObject),
            // The handlers reach S3 and DynamoDB only through the fault proxies; SQS stays direct.
            AWS_ENDPOINT_URL_S3: s3Proxy.url,
            AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.url,
          },
          logLevel: o.logLevel,
          fetcherConcurrency: o.fetcherConcurrency,
          retryDelaySeconds: 2,
          stallTimeoutMs: 120_000,
          onProgress: (p) => {
            // Halfway through, the injected 429s start carrying Retry-After.
            if (!switchedRetryAfter && p.counters.FillsLoaded >= o.fills / 2) {
              switchedRetryAfter = true;
              sim.subgraph.setFaults(sourceFaults(o.sourceFaultRate, o.seed + 1, true));
              sim.markets.setFaults(sourceFaults(o.sourceFaultRate, o.seed + 1, true));
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
  } finally {
    await s3Proxy.close();
    await dynamoProxy.close();
    await aws.stop();
    await sim.close();
  }

  const { loaded, lost, duplicates, unexpected } = await compareFills(client, database, dataset);
  const faults = tallyFaults({
    sources: { subgraph: sim.subgraph.stats.faults, markets: sim.markets.stats.faults },
    proxies: [s3Proxy.injected, dynamoProxy.injected],
    clickhouse: { refused: outage.refused, outageMs: o.clickhouseOutageMs },
  });

  if (dir) {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    ok: complete && lost === 0 && duplicates === 0 && unexpected === 0 && loaded.final === o.fills,
    fills: o.fills,
    markets: o.markets,
    cycles,
    cycleErrors,
    stalls,
    wallMs: Date.now() - started,
    faults,
    retries: { source: totals.SourceRetries, awsSdk: s3Proxy.sdkRetries + dynamoProxy.sdkRetries },
    redeliveries,
    redriven,
    loaded,
    lost,
    duplicates,
    unexpected,
    counters: totals,
  };
}
