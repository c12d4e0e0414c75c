/* eslint-disable @typescript-eslint/no-explicit-any -- synthesised CloudFormation is untyped JSON; these tests index into it freely */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGING_PREFIX } from '../../shared/pipeline/messages.ts';
import { DLQ_RETENTION_DAYS, ENVIRONMENTS, type EnvironmentConfig } from '../../infra/environments.ts';
import { REPO_ROOT } from '../../infra/paths.ts';
import { addStages } from '../../infra/stages.ts';
import {
  FETCHER_BATCH_SIZE,
  FUNCTION_SIZING,
  MAX_RECEIVE_COUNT,
  STAGED_PREFIX,
  VISIBILITY_TIMEOUT_FACTOR,
  sourcePacingEnvironment,
  type PolymarketSyncStack,
} from '../../infra/sync-stack.ts';

/**
 * Synthesises every stage once, in one app, with the same feature flags as
 * `npm run synth` (cdk.json) and cdk-nag's AWS Solutions checks on. Bundling
 * happens once: the stages share the four bundles through CDK's asset cache.
 */
const FUNCTIONS = ['planner', 'fetcher', 'loader', 'monitor'] as const;
type FunctionKey = (typeof FUNCTIONS)[number];

let outdir: string;
let stacks: PolymarketSyncStack[];
const templates = new Map<string, Template>();

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, any> };

beforeAll(() => {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  outdir = mkdtempSync(path.join(tmpdir(), 'polymarket-sync-cdk-'));
  // Asset metadata (set by the CDK CLI, not by a bare App) lets the bundle
  // tests find each function's asset directory.
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true } });
  stacks = addStages(app, ENVIRONMENTS);
  // Throws if cdk-nag reports a finding nobody acknowledged.
  app.synth();
  for (const s of stacks) templates.set(s.config.stage, Template.fromStack(s));
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

function template(stage: string): Template {
  const t = templates.get(stage);
  if (!t) throw new Error(`no template for ${stage}`);
  return t;
}

function resources(stage: string, type: string): [string, Resource][] {
  return Object.entries(template(stage).findResources(type)) as [string, Resource][];
}

/** Our four functions (not CDK's bucket-notification helper), by short name. */
function functions(stage: string): Record<FunctionKey, [string, Resource]> {
  const out: Partial<Record<FunctionKey, [string, Resource]>> = {};
  for (const [id, r] of resources(stage, 'AWS::Lambda::Function')) {
    const name = r.Properties.FunctionName as string | undefined;
    const key = FUNCTIONS.find((f) => name === `polymarket-sync-${stage}-${f}`);
    if (key) out[key] = [id, r];
  }
  expect(Object.keys(out).sort()).toEqual([...FUNCTIONS].sort());
  return out as Record<FunctionKey, [string, Resource]>;
}

function logicalIdOfQueue(stage: string, queueName: string): string {
  const found = resources(stage, 'AWS::SQS::Queue').find(([, r]) => r.Properties.QueueName === queueName);
  if (!found) throw new Error(`no queue ${queueName}`);
  return found[0];
}

function mappingFor(stage: string, fnLogicalId: string): Resource {
  const found = resources(stage, 'AWS::Lambda::EventSourceMapping').find(([, r]) => r.Properties.FunctionName?.Ref === fnLogicalId);
  if (!found) throw new Error(`no event source mapping for ${fnLogicalId}`);
  return found[1];
}

/** Every IAM statement attached to a function's role. */
function statementsOf(stage: string, fnLogicalId: string): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  const fn = template(stage).toJSON().Resources[fnLogicalId] as Resource;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return resources(stage, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

function actionsOf(stage: string, fnLogicalId: string): string[] {
  return statementsOf(stage, fnLogicalId).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

describe.each(ENVIRONMENTS.map((e) => e.stage))('stage %s', (stage) => {
  let config: EnvironmentConfig;
  beforeAll(() => {
    config = stacks.find((s) => s.config.stage === stage)!.config;
  });

  it('is the stack PolymarketSync-<stage> in the configured account and region', () => {
    const stack = stacks.find((s) => s.config.stage === stage)!;
    expect(stack.stackName).toBe(`PolymarketSync-${stage}`);
    expect(stack.account).toBe(config.account);
    expect(stack.region).toBe(config.region);
  });

  it('starts the planner on the configured schedule', () => {
    const [plannerId] = functions(stage).planner;
    template(stage).hasResourceProperties('AWS::Events::Rule', {
      Name: `polymarket-sync-${stage}-planner-schedule`,
      ScheduleExpression: config.schedule,
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [plannerId, 'Arn'] } })],
    });
    const [monitorId] = functions(stage).monitor;
    template(stage).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [monitorId, 'Arn'] } })],
    });
  });

  it('runs every function on Node 24, arm64, with its chosen timeout and memory and the common environment', () => {
    for (const [key, [, fn]] of Object.entries(functions(stage)) as [FunctionKey, [string, Resource]][]) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(fn.Properties.Timeout).toBe(FUNCTION_SIZING[key].timeout.toSeconds());
      expect(fn.Properties.MemorySize).toBe(FUNCTION_SIZING[key].memorySize);
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'polymarket-sync',
        POWERTOOLS_METRICS_NAMESPACE: 'PolymarketSync',
        SYNC_STAGE: stage,
        NODE_OPTIONS: '--enable-source-maps',
        SHARD_QUEUE_URL: expect.anything(),
        LOAD_QUEUE_URL: expect.anything(),
        STAGING_BUCKET: expect.anything(),
        STATE_TABLE: expect.anything(),
      });
    }
    const f = functions(stage);
    for (const key of ['planner', 'fetcher'] as const) {
      expect(f[key][1].Properties.Environment.Variables).toMatchObject({
        SYNC_SOURCES: config.sources.enabled.join(','),
        POLYMARKET_SUBGRAPH_URL: config.sources.subgraphUrl,
        POLYMARKET_MARKETS_URL: config.sources.marketsUrl,
        POLYGON_RPC_URL: config.sources.polygonRpcUrl,
      });
    }
    // The fetcher continues its own shards through its own queue.
    expect(f.fetcher[1].Properties.RecursiveLoop).toBe('Allow');
  });

  it('splits each source allowance between the fetchers: SOURCE_RATE_SHARED_BY is the fetcher maxConcurrency', () => {
    const f = functions(stage);
    const fetcherEnv = f.fetcher[1].Properties.Environment.Variables as Record<string, unknown>;
    expect(fetcherEnv.SOURCE_RATE_SHARED_BY).toBe(String(mappingFor(stage, f.fetcher[0]).Properties.ScalingConfig.MaximumConcurrency));
    expect(fetcherEnv.SOURCE_RATE_SHARED_BY).toBe(String(config.fetcher.maxConcurrency));
    for (const key of ['planner', 'fetcher'] as const) {
      expect(f[key][1].Properties.Environment.Variables).toMatchObject(sourcePacingEnvironment(config));
    }
    for (const key of ['loader', 'monitor'] as const) {
      expect(Object.keys(f[key][1].Properties.Environment.Variables as object).filter((n) => /REQUESTS_PER_SECOND|SOURCE_RATE/.test(n))).toEqual([]);
    }
  });

  it('caps the fetchers on the event source mapping, reports partial batch failures, and keeps reserved concurrency at or above the cap', () => {
    const f = functions(stage);
    const fetcherMapping = mappingFor(stage, f.fetcher[0]);
    expect(fetcherMapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: config.fetcher.maxConcurrency });
    expect(fetcherMapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(fetcherMapping.Properties.BatchSize).toBe(FETCHER_BATCH_SIZE);
    expect(fetcherMapping.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': [logicalIdOfQueue(stage, `polymarket-sync-${stage}-shards`), 'Arn'] });

    const reserved = f.fetcher[1].Properties.ReservedConcurrentExecutions as number | undefined;
    expect(reserved).toBe(config.fetcher.reservedConcurrency);
    if (reserved !== undefined) expect(reserved).toBeGreaterThanOrEqual(config.fetcher.maxConcurrency);

    const loaderMapping = mappingFor(stage, f.loader[0]);
    expect(loaderMapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: config.loader.maxConcurrency });
    expect(loaderMapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(loaderMapping.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': [logicalIdOfQueue(stage, `polymarket-sync-${stage}-loads`), 'Arn'] });
  });

  it('gives both working queues a DLQ, maxReceiveCount, visibility >= 6x the consumer timeout, SSE and TLS-only', () => {
    const f = functions(stage);
    const pairs = [
      ['shards', f.fetcher[1]],
      ['loads', f.loader[1]],
    ] as const;
    for (const [queue, consumer] of pairs) {
      const id = logicalIdOfQueue(stage, `polymarket-sync-${stage}-${queue}`);
      const dlqId = logicalIdOfQueue(stage, `polymarket-sync-${stage}-${queue}-dlq`);
      const q = template(stage).toJSON().Resources[id] as Resource;
      expect(q.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT });
      expect(q.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * (consumer.Properties.Timeout as number));
      const dlq = template(stage).toJSON().Resources[dlqId] as Resource;
      expect(dlq.Properties.MessageRetentionPeriod).toBe(DLQ_RETENTION_DAYS * 86_400);
      // A message always fits in its DLQ: SQS keeps the original enqueue time.
      expect(q.Properties.MessageRetentionPeriod).toBeLessThanOrEqual(dlq.Properties.MessageRetentionPeriod);
    }
    const queues = resources(stage, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(4);
    for (const [id, q] of queues) {
      expect(q.Properties.SqsManagedSseEnabled).toBe(true);
      template(stage).hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('feeds the load queue straight from S3 ObjectCreated events under staged/, allowed for this bucket only', () => {
    const loadQueueId = logicalIdOfQueue(stage, `polymarket-sync-${stage}-loads`);
    const [bucketId] = resources(stage, 'AWS::S3::Bucket')[0]!;
    expect(STAGED_PREFIX).toBe(STAGING_PREFIX);
    template(stage).hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucketId },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: STAGING_PREFIX }] } },
            QueueArn: { 'Fn::GetAtt': [loadQueueId, 'Arn'] },
          },
        ],
      },
    });
    template(stage).hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: loadQueueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('stages into an encrypted, private, TLS-only bucket that keeps objects longer than any message can refer to them', () => {
    const buckets = resources(stage, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(1);
    const [bucketId, bucket] = buckets[0]!;
    expect(bucket.Properties.BucketName).toBe(`polymarket-sync-${stage}-staging-${config.account}-${config.region}`);
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const rules = bucket.Properties.LifecycleConfiguration.Rules as { ExpirationInDays?: number; Status: string }[];
    const expiring = rules.filter((r) => r.ExpirationInDays !== undefined);
    expect(expiring).toHaveLength(1);
    expect(expiring[0]!.ExpirationInDays).toBe(config.retention.stagedObjectDays);
    expect(expiring[0]!.ExpirationInDays).toBeGreaterThan(DLQ_RETENTION_DAYS);
    template(stage).hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps state in an on-demand DynamoDB table with PITR and TTL on expiresAt', () => {
    template(stage).resourceCountIs('AWS::DynamoDB::Table', 1);
    template(stage).hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: `polymarket-sync-${stage}-state`,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    const [, table] = resources(stage, 'AWS::DynamoDB::Table')[0]!;
    const expected = config.removalPolicy === 'retain' ? 'Retain' : 'Delete';
    expect((template(stage).toJSON().Resources as Record<string, { DeletionPolicy?: string }>)[resources(stage, 'AWS::DynamoDB::Table')[0]![0]]!.DeletionPolicy).toBe(expected);
    expect(table.Properties.DeletionProtectionEnabled).toBe(config.removalPolicy === 'retain');
  });

  it('gives the loader only the secret ARN, grants it that one secret, and has no credential anywhere in the template', () => {
    const f = functions(stage);
    const env = f.loader[1].Properties.Environment.Variables as Record<string, unknown>;
    const secret = config.clickhouse.secret;
    if (secret.from === 'create') {
      const [secretId, created] = resources(stage, 'AWS::SecretsManager::Secret')[0]!;
      expect(env.CLICKHOUSE_SECRET_ARN).toEqual({ Ref: secretId });
      expect(created.Properties.Name).toBe(`polymarket-sync/${stage}/clickhouse`);
      expect(created.Properties.SecretString).toBeUndefined();
      expect(created.Properties.GenerateSecretString.GenerateStringKey).toBe('password');
      expect(JSON.parse(created.Properties.GenerateSecretString.SecretStringTemplate)).toEqual({ url: '', username: '' });
    } else if (secret.from === 'arn') {
      template(stage).resourceCountIs('AWS::SecretsManager::Secret', 0);
      expect(env.CLICKHOUSE_SECRET_ARN).toBe(secret.arn);
    } else {
      template(stage).resourceCountIs('AWS::SecretsManager::Secret', 0);
      expect(env.CLICKHOUSE_SECRET_ARN).toBe(`arn:aws:secretsmanager:${config.region}:${config.account}:secret:${secret.name}`);
    }
    expect(env.CLICKHOUSE_DATABASE).toBe(config.clickhouse.database);

    const secretStatements = statementsOf(stage, f.loader[0]).filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    expect(secretStatements).toHaveLength(1);
    expect(JSON.stringify(secretStatements[0]!.Resource)).not.toBe('"*"');
    // The monitor's hourly quality probe reads ClickHouse with the loader's secret.
    const monitorEnv = f.monitor[1].Properties.Environment.Variables as Record<string, unknown>;
    expect(monitorEnv.CLICKHOUSE_SECRET_ARN).toEqual(env.CLICKHOUSE_SECRET_ARN);
    expect(monitorEnv.CLICKHOUSE_DATABASE).toBe(config.clickhouse.database);
    expect(statementsOf(stage, f.monitor[0]).filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))).toHaveLength(1);
    for (const other of ['planner', 'fetcher'] as const) {
      expect(actionsOf(stage, f[other][0]).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    }

    // No function gets a credential through its environment, and no value is in the template.
    for (const [, [, fn]] of Object.entries(functions(stage))) {
      const names = Object.keys(fn.Properties.Environment.Variables as object);
      expect(names.filter((n) => /PASSWORD|USER(NAME)?$|TOKEN|CREDENTIAL/i.test(n))).toEqual([]);
    }
    const json = JSON.stringify(template(stage).toJSON());
    expect(json).not.toMatch(/"SecretString"/);
    expect(json).not.toMatch(/CLICKHOUSE_(PASSWORD|USER|URL)/);
    // No password value anywhere: no `"password": ...` pair in any property or
    // embedded JSON (only GenerateStringKey names the key Secrets Manager fills).
    expect(json).not.toMatch(/password\\*"\s*:/i);
  });

  it('grants each function only what it needs, through scoped grants', () => {
    const f = functions(stage);
    const planner = actionsOf(stage, f.planner[0]);
    expect(planner).toEqual(expect.arrayContaining(['sqs:SendMessage', 'dynamodb:PutItem', 'dynamodb:GetItem', 's3:GetObject*']));
    expect(planner.filter((a) => a.startsWith('s3:Put'))).toEqual([]);

    const fetcher = actionsOf(stage, f.fetcher[0]);
    expect(fetcher).toEqual(expect.arrayContaining(['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 's3:PutObject', 'dynamodb:PutItem']));
    expect(fetcher.filter((a) => a.startsWith('s3:Get') || a.startsWith('s3:Delete'))).toEqual([]);

    const loader = actionsOf(stage, f.loader[0]);
    expect(loader).toEqual(expect.arrayContaining(['s3:GetObject*', 'dynamodb:PutItem', 'sqs:ReceiveMessage', 'secretsmanager:GetSecretValue']));
    expect(loader.filter((a) => a.startsWith('s3:Put') || a === 'sqs:SendMessage')).toEqual([]);

    const monitor = actionsOf(stage, f.monitor[0]);
    expect(monitor).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(monitor.filter((a) => /^(dynamodb:(Put|Update|Delete|BatchWrite)|s3:|sqs:)/.test(a))).toEqual([]);

    for (const key of FUNCTIONS) {
      for (const s of statementsOf(stage, f[key][0])) {
        expect([s.Action].flat()).not.toContain('*');
        expect(s.Resource).not.toBe('*');
      }
    }
    // No AWS managed policy on our roles: each writes to its own log group only.
    for (const key of FUNCTIONS) {
      const roleId = f[key][1].Properties.Role['Fn::GetAtt'][0] as string;
      const role = template(stage).toJSON().Resources[roleId] as Resource;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(actionsOf(stage, f[key][0])).toEqual(expect.arrayContaining(['logs:CreateLogStream', 'logs:PutLogEvents']));
    }
  });

  it('alarms on staleness (missing data breaches), DLQ depth, errors, throttles, 429s and rejected rows, all to the SNS topic', () => {
    const alarms = resources(stage, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const byName = new Map(alarms.map((a) => [String(a.AlarmName).replace(`polymarket-sync-${stage}-`, ''), a]));
    expect([...byName.keys()].sort()).toEqual(
      [
        'stale-loads',
        'fill-lag',
        'shards-dlq-not-empty',
        'loads-dlq-not-empty',
        ...FUNCTIONS.flatMap((f) => [`${f}-errors`, `${f}-throttles`]),
        'source-throttled',
        'rows-rejected',
        'daily-fills-drop',
        'unmapped-fills',
        'mapped-tokens-decreased',
        'quality-probe-failing',
      ].sort(),
    );
    const [topicId] = resources(stage, 'AWS::SNS::Topic')[0]!;
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.TreatMissingData).toBeDefined();
    }
    const insight = (a: Record<string, any>) => (a.Metrics as { Expression?: string }[] | undefined)?.[0]?.Expression;
    const stale = byName.get('stale-loads')!;
    expect(stale.TreatMissingData).toBe('breaching');
    expect(stale.Threshold).toBe(config.alarms.staleAfterSeconds);
    expect(stale.ComparisonOperator).toBe('GreaterThanThreshold');
    expect(insight(stale)).toBe(`SELECT MAX(SecondsSinceLastLoad) FROM PolymarketSync WHERE Stage = '${stage}'`);
    const lag = byName.get('fill-lag')!;
    expect(lag.TreatMissingData).toBe('breaching');
    expect(lag.Threshold).toBe(config.alarms.maxFillLagSeconds);
    expect(insight(lag)).toBe(`SELECT MAX(NewestFillLagSeconds) FROM PolymarketSync WHERE Stage = '${stage}'`);

    for (const q of ['shards', 'loads']) {
      const a = byName.get(`${q}-dlq-not-empty`)!;
      expect(a).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
      expect(a.Dimensions[0].Value).toEqual({ 'Fn::GetAtt': [logicalIdOfQueue(stage, `polymarket-sync-${stage}-${q}-dlq`), 'QueueName'] });
    }
    const f = functions(stage);
    for (const key of FUNCTIONS) {
      expect(byName.get(`${key}-errors`)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1, Dimensions: [{ Name: 'FunctionName', Value: { Ref: f[key][0] } }] });
      expect(byName.get(`${key}-throttles`)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles', Threshold: 1 });
    }
    expect(insight(byName.get('source-throttled')!)).toBe(`SELECT SUM(SourceThrottled) FROM PolymarketSync WHERE Stage = '${stage}'`);
    expect(byName.get('source-throttled')!.Threshold).toBe(config.alarms.sourceThrottledPer5Minutes);
    const rejected = byName.get('rows-rejected')!;
    expect(insight(rejected)).toBe(`SELECT SUM(RowsRejected) FROM PolymarketSync WHERE Stage = '${stage}'`);
    expect(rejected).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });

    const subs = resources(stage, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subs.map((s) => s.Endpoint).sort()).toEqual([...config.alarms.emails].sort());
    for (const s of subs) expect(s.Protocol).toBe('email');
  });

  it('draws a dashboard with the same figures', () => {
    const [, dash] = resources(stage, 'AWS::CloudWatch::Dashboard')[0]!;
    expect(dash.Properties.DashboardName).toBe(`PolymarketSync-${stage}`);
    const body = JSON.stringify(dash.Properties.DashboardBody);
    for (const m of ['SecondsSinceLastLoad', 'NewestFillLagSeconds', 'SourceThrottled', 'SourceRequests', 'RowsRejected', 'FillsLoaded', 'FillsStaged', 'ApproximateNumberOfMessagesVisible', 'Errors', 'Throttles']) {
      expect(body).toContain(m);
    }
  });
});

describe('environments differ by configuration', () => {
  it('names every resource after its stage and takes its settings from its own configuration', () => {
    const names = (stage: string) =>
      [
        ...resources(stage, 'AWS::Lambda::Function').map(([, r]) => r.Properties.FunctionName),
        ...resources(stage, 'AWS::SQS::Queue').map(([, r]) => r.Properties.QueueName),
        ...resources(stage, 'AWS::DynamoDB::Table').map(([, r]) => r.Properties.TableName),
        ...resources(stage, 'AWS::S3::Bucket').map(([, r]) => r.Properties.BucketName),
      ].filter((n): n is string => typeof n === 'string');
    const dev = names('dev');
    const prod = names('prod');
    expect(dev.length).toBeGreaterThanOrEqual(10);
    expect(dev.every((n) => n.includes('-dev-'))).toBe(true);
    expect(prod.every((n) => n.includes('-prod-'))).toBe(true);
    expect(dev.filter((n) => prod.includes(n))).toEqual([]);

    const cap = (stage: string) => mappingFor(stage, functions(stage).fetcher[0]).Properties.ScalingConfig.MaximumConcurrency;
    expect([cap('dev'), cap('staging'), cap('prod')]).toEqual([2, 4, 8]);
    const schedule = (stage: string) =>
      resources(stage, 'AWS::Events::Rule').find(([, r]) => r.Properties.Name === `polymarket-sync-${stage}-planner-schedule`)![1].Properties.ScheduleExpression;
    expect(schedule('dev')).toBe('rate(6 hours)');
    expect(schedule('prod')).toBe('cron(15 0/6 * * ? *)');
    const expiry = (stage: string) => resources(stage, 'AWS::S3::Bucket')[0]![1].Properties.LifecycleConfiguration.Rules[0].ExpirationInDays;
    expect([expiry('dev'), expiry('staging'), expiry('prod')]).toEqual([15, 21, 30]);
    // dev creates its secret; staging and prod use existing ones.
    expect(resources('dev', 'AWS::SecretsManager::Secret')).toHaveLength(1);
    expect(resources('prod', 'AWS::SecretsManager::Secret')).toHaveLength(0);
    expect(functions('dev').fetcher[1].Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(functions('prod').fetcher[1].Properties.ReservedConcurrentExecutions).toBe(10);
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged finding for any stage', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
    };
    const nag = report.pluginReports.filter((p) => p.pluginName === 'AwsSolutions');
    expect(nag).toHaveLength(1);
    const open = nag.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)));
    expect(open).toEqual([]);
    expect(nag[0]!.conclusion).toBe('success');
  });

  it('acknowledges each finding on a specific construct, never on a stack, and always with a reason', () => {
    let count = 0;
    for (const stack of stacks) {
      expect(stack.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)).toEqual([]);
      for (const c of stack.node.findAll()) {
        for (const m of c.node.metadata.filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
          for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
            count++;
            expect(id).toMatch(/^AwsSolutions::AwsSolutions-/);
            expect(reason.length, id).toBeGreaterThan(60);
          }
        }
      }
    }
    expect(count).toBeGreaterThan(0);
  });

  it('does fail synth on an unacknowledged finding (the checks are really on)', () => {
    const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'polymarket-sync-nag-')) });
    const stack = new Stack(app, 'NagProbe');
    new s3.Bucket(stack, 'Open');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
    rmSync(app.outdir, { recursive: true, force: true });
  });
});

describe('bundles', () => {
  const FORBIDDEN = /(^|\/)node_modules\/(chdb|fauxqs|dynalite|hardhat|@nomicfoundation|classic-level|leveldown|better-sqlite3)(\/|$)/;
  const LOCAL_ONLY = /^(local|simulator|test)\//;

  function assetDirs(): Record<FunctionKey, string> {
    const out: Partial<Record<FunctionKey, string>> = {};
    for (const key of FUNCTIONS) {
      const [, fn] = functions('dev')[key];
      const assetPath = fn.Metadata?.['aws:asset:path'] as string;
      expect(assetPath).toBeTruthy();
      out[key] = path.join(outdir, assetPath);
    }
    return out as Record<FunctionKey, string>;
  }

  it('builds each function into one ESM file and its source map, with no native modules', () => {
    for (const [key, dir] of Object.entries(assetDirs())) {
      const files = readdirSync(dir, { recursive: true }).map(String).sort();
      expect(files, key).toEqual(['index.mjs', 'index.mjs.map']);
      expect(files.filter((f) => f.endsWith('.node'))).toEqual([]);
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __pmsCreateRequire } from 'node:module';")).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
      // Nothing is left for the runtime to resolve except Node built-ins and
      // the SDK's optional CRT signer (required inside a try/catch, used only
      // for SigV4a multi-region endpoints, which we do not call).
      const spec = '([@A-Za-z0-9_./:-]+)';
      const imports = [
        ...code.matchAll(new RegExp(`\\bfrom\\s*"${spec}"|\\bimport\\s*\\(\\s*"${spec}"\\s*\\)|\\brequire\\(\\s*"${spec}"\\s*\\)`, 'g')),
      ].map((m) => m[1] ?? m[2] ?? m[3]!);
      const OPTIONAL = new Set(['@aws-sdk/signature-v4-crt']);
      expect(imports.filter((i) => !i.startsWith('node:') && !OPTIONAL.has(i)), key).toEqual([]);
      expect(imports.filter((i) => /chdb|fauxqs|dynalite|hardhat/.test(i))).toEqual([]);
    }
  });

  it('contains no chdb, fauxqs, dynalite or hardhat module and no local-only code', () => {
    for (const [key, dir] of Object.entries(assetDirs())) {
      const map = JSON.parse(readFileSync(path.join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      const sources = map.sources.map((s) => path.relative(REPO_ROOT, path.resolve(dir, s)).split(path.sep).join('/'));
      expect(sources.length, key).toBeGreaterThan(10);
      expect(sources, key).toContain(`functions/${key}.ts`);
      expect(sources.filter((s) => FORBIDDEN.test(s)), key).toEqual([]);
      expect(sources.filter((s) => LOCAL_ONLY.test(s)), key).toEqual([]);
      // AWS SDK v3 is bundled, not taken from the runtime.
      expect(sources.some((s) => s.includes('node_modules/@aws-sdk/')), key).toBe(true);
    }
  });

  it('loads in Node 24 as ESM and exports handler', async () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      SYNC_STAGE: 'test',
      SHARD_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/shards',
      LOAD_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/loads',
      STAGING_BUCKET: 'polymarket-sync-test-staging',
      STATE_TABLE: 'polymarket-sync-test-state',
    });
    try {
      for (const [key, dir] of Object.entries(assetDirs())) {
        const file = path.join(dir, 'index.mjs');
        expect(existsSync(file)).toBe(true);
        const mod = (await import(pathToFileURL(file).href)) as { handler?: unknown };
        expect(typeof mod.handler, key).toBe('function');
      }
    } finally {
      process.env = saved;
    }
  });
});
