/**
 * `npm run soak`: the chaos soak. One sync, through the local runner and the
 * real handlers, over a large simulated history while everything around it
 * misbehaves:
 * - the sources answer 429 (with and without Retry-After, and a rate limit),
 *   500/502/503, hang past the timeout, cut connections, answer slowly;
 * - S3 refuses a share of puts and gets (503 SlowDown, 500 InternalError) and
 *   DynamoDB throttles a share of calls, through an HTTP fault proxy in front
 *   of the emulators (the handlers reach them only through it);
 * - ClickHouse is unreachable for a stretch in the middle of the load.
 * Cycles run until the run completes (dead letters are redriven between
 * cycles, as an operator would), then the warehouse is compared with the
 * source fill by fill. Prints the figures; exits 1 unless exact.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { Command, InvalidArgumentError } from 'commander';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '#shared/aws/clients.ts';
import { redrive } from '#shared/ops/redrive.ts';
import { SqsDeadLetterQueues } from '#shared/ops/sqs-dead-letters.ts';
import { COUNTER_NAMES, type CounterSnapshot } from '#shared/telemetry/counters.ts';
import { generateDataset, startSimulatedSources, type Dataset, type FaultCounts, type FaultOptions } from '#simulator/index.ts';
import { embeddedClient } from './embedded-clickhouse.ts';
import { startLocalAws, type LocalAws } from './emulators.ts';
import { runCycle, type CycleResult } from './runner.ts';

// ------------------------------------------------------------------ the fault proxy

export interface ProxyFault {
  status: number;
  contentType: string;
  body: string;
  kind: string;
}

export interface FaultProxy {
  url: string;
  /** Injected faults by kind. */
  injected: Record<string, number>;
  /** Requests the AWS SDK marked as a retry (`amz-sdk-request: attempt=N`, N > 1). */
  sdkRetries: number;
  requests: number;
  enabled: boolean;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of an emulator that answers a share of requests with
 * an error, chosen by `decide` from the request line and headers; the rest
 * stream through untouched.
 */
export async function startFaultProxy(target: string, decide: (req: IncomingMessage) => ProxyFault | null): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = { url: '', injected: {}, sdkRetries: 0, requests: 0, enabled: true, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    proxy.requests++;
    const attempt = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''));
    if (attempt && Number(attempt[1]) > 1) proxy.sdkRetries++;
    const fault = proxy.enabled ? decide(req) : null;
    if (fault) {
      proxy.injected[fault.kind] = (proxy.injected[fault.kind] ?? 0) + 1;
      req.resume();
      req.on('end', () => {
        res.writeHead(fault.status, { 'content-type': fault.contentType, 'x-amzn-requestid': 'fault-proxy', 'x-amz-request-id': 'fault-proxy' });
        res.end(fault.body);
      });
      return;
    }
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}

/** S3: a share of object puts and gets under staged/ fail as S3 fails (503 SlowDown, 500 InternalError). */
export function s3Faults(rate: number, random: () => number): (req: IncomingMessage) => ProxyFault | null {
  const xml = (code: string, message: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;
  const scripted = new Set(['PUT', 'GET']);
  return (req) => {
    if (!/\/staged\//.test(req.url ?? '') || (req.method !== 'PUT' && req.method !== 'GET')) return null;
    // The first put and the first get always fail, whatever the draws; then the share.
    if (!scripted.delete(req.method) && random() >= rate) return null;
    const op = req.method === 'PUT' ? 'put' : 'get';
    return random() < 0.5
      ? { kind: `s3 ${op} 503 SlowDown`, status: 503, contentType: 'application/xml', body: xml('SlowDown', 'Please reduce your request rate.') }
      : { kind: `s3 ${op} 500 InternalError`, status: 500, contentType: 'application/xml', body: xml('InternalError', 'We encountered an internal error. Please try again.') };
  };
}

/** DynamoDB: a share of calls throttled (400 ThrottlingException / ProvisionedThroughputExceededException). */
export function dynamoFaults(rate: number, random: () => number): (req: IncomingMessage) => ProxyFault | null {
  let calls = 0;
  return (req) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target.startsWith('DynamoDB_')) return null;
    // The tenth call always throttles, whatever the draws; then the share.
    if (++calls !== 10 && random() >= rate) return null;
    const type = random() < 0.5 ? 'ThrottlingException' : 'ProvisionedThroughputExceededException';
    return {
      kind: `dynamodb ${type}`,
      status: 400,
      contentType: 'application/x-amz-json-1.0',
      body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'Rate of requests exceeds the allowed throughput.' }),
    };
  };
}

// ------------------------------------------------------------------ ClickHouse outage

export interface Outage {
  client: ClickHouseClient;
  /** Calls refused while ClickHouse was "down". */
  refused: number;
  startedAt?: number;
  endedAt?: number;
}

/**
 * The client the loader uses, with ClickHouse unreachable for `durationMs`
 * from the `startAtInsert`-th insert on: every insert fails as a dead server
 * makes it fail (connection refused).
 */
export function clickHouseOutage(client: ClickHouseClient, startAtInsert: number, durationMs: number): Outage {
  let inserts = 0;
  const outage: Outage = { client, refused: 0 };
  const down = () => {
    const now = Date.now();
    if (outage.startedAt === undefined) return false;
    if (now < outage.startedAt + durationMs) return true;
    outage.endedAt ??= outage.startedAt + durationMs;
    return false;
  };
  outage.client = new Proxy(client, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = (value as (...a: unknown[]) => unknown).bind(obj);
      // Inserts are what the loader sends; the runner's own bookkeeping queries stay up.
      if (prop !== 'exec') return fn;
      return (...args: unknown[]) => {
        if (prop === 'exec' && ++inserts === startAtInsert) outage.startedAt = Date.now();
        if (down()) {
          outage.refused++;
          const err = new Error('connect ECONNREFUSED 127.0.0.1:8123 (injected: ClickHouse unreachable)') as Error & { code: string };
          err.code = 'ECONNREFUSED';
          return Promise.reject(err);
        }
        return fn(...args);
      };
    },
  });
  return outage;
}

// ------------------------------------------------------------------ the soak

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
  log?: (line: string) => void;
}

export interface SoakReport {
  ok: boolean;
  fills: number;
  markets: number;
  cycles: number;
  cycleErrors: string[];
  /** Cycles that ended without completing, and where their unfinished messages were. */
  stalls: string[];
  wallMs: number;
  faults: Record<string, number>;
  retries: { source: number; awsSdk: number };
  redeliveries: number;
  redriven: number;
  loaded: { rows: number; final: number; distinct: number };
  lost: number;
  duplicates: number;
  unexpected: number;
  counters: CounterSnapshot;
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

/** The source fault mix at `rate` per kind; half the run's 429s carry no Retry-After, half do. */
export function sourceFaults(rate: number, seed: number, retryAfter: boolean): FaultOptions {
  return {
    seed,
    // Every kind at least once, whatever the draws: then the shares below.
    script: retryAfter ? ['429', '503'] : ['429', '502', 'hang', 'cut', 'slow', '500'],
    throttle: rate,
    ...(retryAfter ? { retryAfterSeconds: 1 } : {}),
    serverError: rate,
    hang: rate / 10,
    cut: rate / 4,
    slow: rate / 2,
    slowMs: 300,
    rateLimit: { perSecond: 60, burst: 30 },
  };
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const dir = o.client ? null : mkdtempSync(join(tmpdir(), 'pmsync-soak-'));
  const client = o.client ?? embeddedClient(dir!);
  const database = o.database ?? 'soak';
  let seed = o.seed;
  const random = () => {
    // mulberry32: deterministic fault draws for a seed.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

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
        // Where the unfinished work sits: waiting, in flight (invisible), or nowhere (to be re-announced by the next planner).
        const attrs = async (url: string) =>
          (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes ?? {};
        const [shards, loads] = [await attrs(aws.shardQueueUrl), await attrs(aws.loadQueueUrl)];
        stalls.push(
          `cycle ${cycles}: ${result.reason}; shard queue ${shards.ApproximateNumberOfMessages} waiting/${shards.ApproximateNumberOfMessagesNotVisible} in flight, ` +
            `load queue ${loads.ApproximateNumberOfMessages}/${loads.ApproximateNumberOfMessagesNotVisible}`,
        );
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

  // ---- exactness, fill by fill
  const q = async <T>(sql: string) => ((await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[])[0]!;
  const counts = await q<{ rows: string; final: string; distinct: string }>(
    `SELECT count() AS rows, (SELECT count() FROM ${database}.fills FINAL) AS final, uniqExact(fill_id) AS distinct FROM ${database}.fills`,
  );
  const expected = new Set<string>();
  for (const f of dataset.fills) expected.add(f.id.toLowerCase());
  let unexpected = 0;
  const stream = (await client.query({ query: `SELECT DISTINCT fill_id FROM ${database}.fills`, format: 'JSONCompactEachRow' })).stream();
  for await (const rows of stream) {
    for (const row of rows as { json<T>(): T }[]) {
      const [id] = row.json<[string]>();
      if (!expected.delete(id)) unexpected++;
    }
  }
  const lost = expected.size;
  const loaded = { rows: Number(counts.rows), final: Number(counts.final), distinct: Number(counts.distinct) };
  const duplicates = loaded.rows - loaded.distinct;

  const faults: Record<string, number> = {};
  const addSource = (name: string, c: FaultCounts) => {
    for (const [k, v] of Object.entries(c)) if (v > 0) faults[`${name} ${k === 'rate-limited' ? '429 rate limit (Retry-After)' : k}`] = v;
  };
  addSource('subgraph', sim.subgraph.stats.faults);
  addSource('markets', sim.markets.stats.faults);
  Object.assign(faults, s3Proxy.injected, dynamoProxy.injected);
  if (outage.refused > 0) faults[`clickhouse unreachable for ${o.clickhouseOutageMs / 1000} s (calls refused)`] = outage.refused;

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

export function formatSoak(r: SoakReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `chaos soak: ${r.ok ? 'EXACT' : 'NOT EXACT'} — ${n(r.fills)} fills, ${n(r.markets)} markets, ${r.cycles} cycle(s), ${(r.wallMs / 1000).toFixed(1)} s wall`,
    'faults injected:',
    ...Object.entries(r.faults)
      .sort()
      .map(([k, v]) => `  ${k.padEnd(52)} ${n(v).padStart(8)}`),
    `retries: source HTTP ${n(r.retries.source)}, AWS SDK ${n(r.retries.awsSdk)}`,
    `failed deliveries (messages handed back for another try): ${n(r.redeliveries)}; dead letters redriven: ${n(r.redriven)}; cycle errors: ${r.cycleErrors.length}`,
    ...r.stalls.map((x) => `incomplete ${x}`),
    `fills in ClickHouse: ${n(r.loaded.rows)} rows, ${n(r.loaded.final)} with FINAL, ${n(r.loaded.distinct)} distinct ids`,
    `fills lost: ${n(r.lost)}; duplicates: ${n(r.duplicates)}; ids not in the source: ${n(r.unexpected)}`,
    `source requests ${n(r.counters.SourceRequests)} (throttled ${n(r.counters.SourceThrottled)}, server errors ${n(r.counters.SourceServerErrors)}, timeouts ${n(r.counters.SourceTimeouts)}); objects staged ${n(r.counters.ObjectsStaged)}, loaded ${n(r.counters.ObjectsLoaded)}`,
  ];
  return lines.join('\n');
}

// ------------------------------------------------------------------ CLI

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const positive = (v: string) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x <= 0) throw new InvalidArgumentError('must be a positive integer');
    return x;
  };
  const share = (v: string) => {
    const x = Number(v);
    if (!(x >= 0 && x < 1)) throw new InvalidArgumentError('must be a share between 0 and 1');
    return x;
  };
  const program = new Command('soak')
    .description('Chaos soak: a full sync through the local runner under source, S3, DynamoDB and ClickHouse faults; checks the result fill by fill')
    .option('--fills <n>', 'simulated fills', positive, SOAK_DEFAULTS.fills)
    .option('--markets <n>', 'simulated markets', positive, SOAK_DEFAULTS.markets)
    .option('--seed <n>', 'dataset and fault seed', positive, SOAK_DEFAULTS.seed)
    .option('--source-faults <share>', 'share of source requests per fault kind', share, SOAK_DEFAULTS.sourceFaultRate)
    .option('--s3-faults <share>', 'share of staged-object puts/gets refused', share, SOAK_DEFAULTS.s3FaultRate)
    .option('--dynamo-faults <share>', 'share of DynamoDB calls throttled', share, SOAK_DEFAULTS.dynamoFaultRate)
    .option('--outage <ms>', 'ClickHouse unreachable for this long, a third of the way into the load', positive, SOAK_DEFAULTS.clickhouseOutageMs)
    .option('--concurrency <n>', 'fetchers at once', positive, SOAK_DEFAULTS.fetcherConcurrency)
    .option('--json', 'print the report as JSON too')
    .action(async (f: { fills: number; markets: number; seed: number; sourceFaults: number; s3Faults: number; dynamoFaults: number; outage: number; concurrency: number; json?: boolean }) => {
      process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
      process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
      const report = await runSoak({
        ...SOAK_DEFAULTS,
        fills: f.fills,
        markets: f.markets,
        seed: f.seed,
        sourceFaultRate: f.sourceFaults,
        s3FaultRate: f.s3Faults,
        dynamoFaultRate: f.dynamoFaults,
        clickhouseOutageMs: f.outage,
        fetcherConcurrency: f.concurrency,
        log: (line) => console.error(line),
      });
      console.log(formatSoak(report));
      if (f.json) console.log(JSON.stringify(report, null, 2));
      if (!report.ok) process.exitCode = 1;
    });
  program.parseAsync().catch((err: Error) => {
    console.error(`soak failed: ${err.stack ?? err.message}`);
    process.exitCode = 1;
  });
}
