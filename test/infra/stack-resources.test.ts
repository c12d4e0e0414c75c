/* eslint-disable @typescript-eslint/no-explicit-any -- synthesised CloudFormation is untyped JSON; these tests index into it freely */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DERIVE_EVENT, STAGING_PREFIX } from '#shared/pipeline/messages.ts';
import { FETCHER_NODE_OPTIONS } from '#infra/function-memory.ts';
import { DLQ_RETENTION_DAYS, ENVIRONMENTS, type EnvironmentConfig } from '#infra/environments.ts';
import { FETCHER_BATCH_SIZE, FUNCTION_SIZING, MAX_RECEIVE_COUNT, STAGED_PREFIX, VISIBILITY_TIMEOUT_FACTOR } from '#infra/sync-stack.ts';
import { sourcePacingEnvironment } from '#infra/source-environment.ts';
import {
  FUNCTIONS,
  functions,
  logicalIdOfQueue,
  mappingFor,
  resources,
  stacks,
  synthesiseAllStages,
  template,
  type FunctionKey,
  type Resource,
} from './synth.ts';

/** What each stage deploys (functions, queues, bucket, table, alarms, dashboard), and how the stages differ. */
synthesiseAllStages();

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

  it('starts the planner on the configured schedule, and the monitor and the positions refresh every 5 minutes', () => {
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
    // A positions refresh stopped for time is resumed by the loader every 5 minutes, whether or not loads come.
    const [loaderId] = functions(stage).loader;
    template(stage).hasResourceProperties('AWS::Events::Rule', {
      Name: `polymarket-sync-${stage}-positions-schedule`,
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [loaderId, 'Arn'] }, Input: JSON.stringify(DERIVE_EVENT) })],
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
        // The fetcher's also caps its V8 heap (infra/function-memory.ts).
        NODE_OPTIONS: key === 'fetcher' ? FETCHER_NODE_OPTIONS : '--enable-source-maps',
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

  it('tells the planner the fetchers’ concurrency (FETCHER_CONCURRENCY = the shard mapping’s maxConcurrency) to size shards by; each takes two shards', () => {
    const f = functions(stage);
    const plannerEnv = f.planner[1].Properties.Environment.Variables as Record<string, unknown>;
    const mapping = mappingFor(stage, f.fetcher[0]).Properties;
    expect(mapping.BatchSize).toBe(2);
    expect(plannerEnv.FETCHER_CONCURRENCY).toBe(String(mapping.ScalingConfig.MaximumConcurrency));
    expect(plannerEnv.FETCHER_CONCURRENCY).toBe(String(config.fetcher.maxConcurrency));
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
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
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
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
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
    expect(
      (template(stage).toJSON().Resources as Record<string, { DeletionPolicy?: string }>)[resources(stage, 'AWS::DynamoDB::Table')[0]![0]]!.DeletionPolicy,
    ).toBe(expected);
    expect(table.Properties.DeletionProtectionEnabled).toBe(config.removalPolicy === 'retain');
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
        'activity-misattributed',
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
      expect(a).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(a.Dimensions[0].Value).toEqual({ 'Fn::GetAtt': [logicalIdOfQueue(stage, `polymarket-sync-${stage}-${q}-dlq`), 'QueueName'] });
    }
    const f = functions(stage);
    for (const key of FUNCTIONS) {
      expect(byName.get(`${key}-errors`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Threshold: 1,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: f[key][0] } }],
      });
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
    for (const m of [
      'SecondsSinceLastLoad',
      'NewestFillLagSeconds',
      'SourceThrottled',
      'SourceRequests',
      'RowsRejected',
      'FillsLoaded',
      'FillsStaged',
      'ApproximateNumberOfMessagesVisible',
      'Errors',
      'Throttles',
    ]) {
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
      resources(stage, 'AWS::Events::Rule').find(([, r]) => r.Properties.Name === `polymarket-sync-${stage}-planner-schedule`)![1].Properties
        .ScheduleExpression;
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
