/* eslint-disable @typescript-eslint/no-explicit-any -- a synthesised template is untyped JSON */
import { mkdtempSync, rmSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDocumentClient, s3Client, sqsClient } from '#adapters/aws/clients.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { migrate } from '#adapters/clickhouse/schema.ts';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';
import { S3NotificationBridge } from '#local/s3-notifications.ts';
import { QUEUE_SETTINGS } from '#shared/pipeline/queue-settings.ts';
import { datasetTotals, generateDataset, startSimulatedSources, type SimulatedSources } from '#simulator/index.ts';
import { FUNCTIONS, functions, outdir, stacks, synthesiseAllStages, template, type FunctionKey } from '#test/infra/synth.ts';
import { startClickHouseHttpFront, type ClickHouseHttpFront } from '#test/support/clickhouse-http-front.ts';
import { startFunction, type RunningFunction } from '#test/support/deployed/functions.ts';
import { startRecordingProxy, type AwsService, type RecordedCall, type RecordingProxy } from '#test/support/deployed/recording-proxy.ts';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '#test/support/deployed/secrets-manager-stand-in.ts';
import { localResolver, resourceArn } from '#test/support/deployed/stand-ins.ts';
import { allows, functionEnvironment, grantsOf, unusedPatterns, type CfnTemplate, type Resolver } from '#test/support/deployed/template.ts';
import { ALLOWED_UNUSED, MONITOR_QUALITY_SLOT_SHIFT_MS, SOURCE_OVERRIDES, lambdaRuntimeEnvironment } from './expectations.ts';

/**
 * One cycle through the bundles `cdk synth` builds, each in a Node 24 process
 * of its own with only the environment the template gives its function (plus
 * the emulators' endpoints and the simulated sources' URLs), every AWS call
 * recorded per function and held against that function's role.
 */
synthesiseAllStages();

const STAGE = 'dev';
const SERVICES: AwsService[] = ['sqs', 's3', 'dynamodb', 'secretsmanager'];
const CLICKHOUSE_USER = 'sync_loader';
const CLICKHOUSE_PASSWORD = 'stand-in-password';

describe('the deployed bundles, one cycle', () => {
  const dataset = generateDataset({ seed: 13, markets: 12, fills: 600 });
  let dir: string;
  let aws: LocalAws;
  let sim: SimulatedSources;
  let engine: ClickHouseClient;
  let clickhouse: ClickHouseHttpFront;
  let secrets: SecretsManagerStandIn;
  let cfn: CfnTemplate;
  let resolver: Resolver;
  const proxies: RecordingProxy[] = [];
  const calls: RecordedCall[] = [];
  const running: RunningFunction[] = [];
  let monitorResult: any;
  let cycleMs = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pmsync-deployed-'));
    aws = await startLocalAws({ visibilityTimeoutSeconds: 60 });
    sim = await startSimulatedSources({ dataset });
    // The engine in this process; the loader and monitor reach it over ClickHouse's HTTP interface, as a server.
    engine = embeddedClient(dir);
    await migrate(engine, 'polymarket');
    clickhouse = await startClickHouseHttpFront({ client: engine, user: CLICKHOUSE_USER, password: CLICKHOUSE_PASSWORD });
    cfn = template(STAGE).toJSON() as CfnTemplate;
    const { region, account } = stacks.find((s) => s.config.stage === STAGE)!.config;
    const local = localResolver(cfn, aws, region, account);
    resolver = local.resolver;
    const secretValue = JSON.stringify({ url: clickhouse.url, username: CLICKHOUSE_USER, password: CLICKHOUSE_PASSWORD });
    secrets = await startSecretsManagerStandIn(Object.values(local.secretArns).map((arn) => ({ arn, value: secretValue })));
  }, 600_000);

  afterAll(async () => {
    for (const f of running) await f.stop().catch(() => undefined);
    for (const p of proxies) await p.close();
    await secrets?.close();
    await sim?.close();
    await aws?.stop();
    await clickhouse?.close();
    await engine?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The function's environment as deployed, with its own recording proxies as the AWS endpoints. */
  async function environmentOf(key: FunctionKey): Promise<Record<string, string>> {
    const [id, fn] = functions(STAGE)[key];
    const endpoint: Partial<Record<AwsService, string>> = {};
    const upstream: Record<AwsService, string> = { sqs: aws.sqsEndpoint, s3: aws.s3Endpoint, dynamodb: aws.dynamoEndpoint, secretsmanager: secrets.url };
    for (const service of SERVICES) {
      const proxy = await startRecordingProxy({
        caller: key,
        service,
        target: upstream[service],
        record: (c) => calls.push({ ...c, service } as RecordedCall),
      });
      proxies.push(proxy);
      endpoint[service] = proxy.url;
    }
    const env = functionEnvironment(cfn, id, resolver);
    // The simulated sources stand where the template names the public ones.
    for (const [name, value] of Object.entries(SOURCE_OVERRIDES(sim))) if (name in env) env[name] = value;
    // Not in the template: the code's own default (the public Gamma API) stands for it there.
    if ('POLYMARKET_MARKETS_URL' in env) env.POLYMARKET_GAMMA_URL = sim.gammaUrl;
    return {
      ...env,
      ...lambdaRuntimeEnvironment(fn, assetDir(key), resolver.region),
      AWS_ENDPOINT_URL_SQS: endpoint.sqs!,
      AWS_ENDPOINT_URL_S3: endpoint.s3!,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint.dynamodb!,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.secretsmanager!,
    };
  }

  function assetDir(key: FunctionKey): string {
    const [, fn] = functions(STAGE)[key];
    return path.join(outdir, fn.Metadata?.['aws:asset:path'] as string);
  }

  function driver(key: FunctionKey, env: Record<string, string>, extra: Record<string, unknown>): RunningFunction {
    const [, fn] = functions(STAGE)[key];
    const f = startFunction(
      key,
      {
        bundle: path.join(assetDir(key), 'index.mjs'),
        functionName: String(fn.Properties.FunctionName),
        timeoutMs: Number(fn.Properties.Timeout) * 1000,
        memoryMb: Number(fn.Properties.MemorySize),
        mode: 'invoke',
        ...extra,
      },
      env,
    );
    running.push(f);
    return f;
  }

  it('plans, fetches, stages and loads exactly the simulated fills through the four bundles', async () => {
    const started = Date.now();
    const parentSqs = sqsClient({ region: aws.region, endpoint: aws.sqsEndpoint });
    const parentS3 = s3Client({ region: aws.region, endpoint: aws.s3Endpoint });
    const state = new DynamoStateStore(dynamoDocumentClient({ region: aws.region, endpoint: aws.dynamoEndpoint }), aws.table);
    // S3's ObjectCreated → load queue delivery, which fauxqs lacks; the parent's own calls, not a function's.
    const bridge = new S3NotificationBridge(parentS3, parentSqs, aws.bucket, aws.loadQueueUrl);
    await bridge.primeWithExisting();
    bridge.start(200);

    const queueFed = (queueUrl: string, batchSize: number) => ({
      mode: 'sqs',
      queueUrl,
      queueArn: resourceArn('sqs', queueUrl, resolver),
      batchSize,
    });
    const fetcher = driver('fetcher', await environmentOf('fetcher'), queueFed(aws.shardQueueUrl, QUEUE_SETTINGS.fetcherBatchSize));
    const loader = driver('loader', await environmentOf('loader'), queueFed(aws.loadQueueUrl, QUEUE_SETTINGS.loaderBatchSize));
    // What EventBridge sends on the schedule; the planner ignores its fields.
    const scheduled = { version: '0', id: 'e2e', 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString(), detail: {} };
    const planner = driver('planner', await environmentOf('planner'), { mode: 'invoke', event: scheduled });
    const planned = (await planner.result()) as { outcome: string; runId: string };
    expect(planned.outcome).toBe('planned');

    // Wait on the run's state, not on time; a driver's error ends the wait at once. The bound only turns a hang into a report.
    const bound = Date.now() + 180_000;
    for (;;) {
      const errors = [...fetcher.errors, ...loader.errors];
      const failedBatches = [...fetcher.batches, ...loader.batches].filter((b) => b.failed > 0);
      if (errors.length > 0 || failedBatches.length > 0) {
        throw new Error(`a function failed: ${errors.join('; ')}\nfetcher: ${fetcher.stderr().slice(-3000)}\nloader: ${loader.stderr().slice(-3000)}`);
      }
      const run = await state.getRun(planned.runId);
      if (run?.status === 'complete') break;
      if (Date.now() > bound) {
        throw new Error(`the run did not complete: ${JSON.stringify(run)}\nfetcher: ${fetcher.stderr().slice(-3000)}\nloader: ${loader.stderr().slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await fetcher.stop();
    await loader.stop();
    await bridge.stop();
    expect([...fetcher.batches, ...loader.batches].filter((b) => b.failed > 0)).toEqual([]);

    // The monitor's hourly warehouse probe runs in the hour's first slot: its clock is moved there.
    const monitor = driver('monitor', await environmentOf('monitor'), { mode: 'invoke', clockShiftMs: MONITOR_QUALITY_SLOT_SHIFT_MS(Date.now()) });
    monitorResult = await monitor.result();
    cycleMs = Date.now() - started;

    const totals = datasetTotals(dataset);
    const loaded = (await (
      await engine.query({
        query: 'SELECT count() AS n, uniqExact(fill_id) AS distinct, toString(sum(maker_amount_filled)) AS maker FROM polymarket.fills',
        format: 'JSONEachRow',
      })
    ).json()) as { n: string; distinct: string; maker: string }[];
    expect(Number(loaded[0]!.n)).toBe(totals.count);
    expect(Number(loaded[0]!.distinct)).toBe(totals.count);
    expect(BigInt(loaded[0]!.maker)).toBe(totals.makerAmountFilled);
    expect(monitorResult.freshness.secondsSinceLastLoad).not.toBeNull();
    expect(monitorResult.quality).not.toBeNull();
    expect(monitorResult.quality.errors).toEqual([]);
    console.info(`deployed-bundles cycle: ${cycleMs} ms`);
  }, 300_000);

  it('each function signs with its own identity, and its role grants every call it made', () => {
    expect(calls.length).toBeGreaterThan(0);
    const table: Record<string, string[]> = {};
    for (const key of FUNCTIONS) {
      const [id] = functions(STAGE)[key];
      const grants = grantsOf(cfn, id, resolver);
      const own = calls.filter((c) => c.caller === key);
      table[key] = [...new Set(own.map((c) => c.action))].sort();
      expect(own.length, key).toBeGreaterThan(0);
      const denied = own.filter((c) => !allows(grants, c.action, resourceArn((c as any).service, c.resource, resolver)));
      expect(
        denied.map((c) => `${c.action} ${c.resource}`),
        key,
      ).toEqual([]);
    }
    console.info(`recorded actions: ${JSON.stringify(table, null, 1)}`);
  });

  it('each role grants nothing its function never called, but for what the cycle cannot exercise', () => {
    const unused: Record<string, string[]> = {};
    for (const key of FUNCTIONS) {
      const [id] = functions(STAGE)[key];
      const used = [...new Set(calls.filter((c) => c.caller === key).map((c) => c.action))];
      unused[key] = unusedPatterns(grantsOf(cfn, id, resolver), used).sort();
    }
    expect(unused).toEqual(Object.fromEntries(Object.entries(ALLOWED_UNUSED).map(([key, allowed]) => [key, Object.keys(allowed).sort()])));
  });
});
