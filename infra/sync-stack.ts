import { Duration, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { Monitoring } from './constructs/monitoring.ts';
import { PipelineFunction } from './constructs/pipeline-function.ts';
import { importSecret } from './constructs/imported-secret.ts';
import { grantPoll, grantSecretValue, grantSend, grantStagedGet, grantStagedPut, grantStateItemRead, grantStateReadWrite } from './constructs/grants.ts';
import { FETCHER_MEMORY, FETCHER_NODE_OPTIONS } from './function-memory.ts';
import { DERIVE_EVENT, STAGING_PREFIX } from '#shared/pipeline/messages.ts';
import { QUEUE_SETTINGS } from '#shared/pipeline/queue-settings.ts';
import { chainAdaptersEnvironment, sourcePacingEnvironment } from './source-environment.ts';
import { DLQ_RETENTION_DAYS, QUEUE_RETENTION_DAYS, type EnvironmentConfig } from './environments.ts';
import {
  acknowledgeBucketNotificationsHandler,
  acknowledgeCreatedSecret,
  acknowledgeStagedPut,
  acknowledgeStagedRead,
  acknowledgeStagingBucket,
} from './nag-suppressions.ts';

/**
 * Timeouts and memory, per function. The reasoning is repeated in
 * docs/OPERATIONS.md ("Timeouts and memory").
 *
 * Memory also buys CPU (1,769 MB = one full vCPU); arm64 throughout.
 */
export const FUNCTION_SIZING = {
  /**
   * Runs 4 times a day, invoked asynchronously by the schedule, and has no
   * continuation mechanism: it lists every market and asks the subgraph and
   * the chain for their heads to size shards, then SendMessageBatch-es them.
   * A planner that times out loses a whole cycle, and its cost is negligible,
   * so it gets the Lambda maximum. 1 GB: the market list is parsed as one
   * JSON document set (tens of thousands of markets).
   */
  planner: { timeout: Duration.minutes(15), memorySize: 1024 },
  /**
   * Re-enqueues a continuation when its remaining time runs low, so the
   * timeout bounds one slice of a shard, not the shard. 5 minutes keeps the
   * shard queue's visibility timeout (6x) at 30 minutes, so a crashed slice
   * is retried within half an hour. Memory and the V8 heap cap follow the
   * measured peak of one invocation (infra/function-memory.ts, checked by
   * test/bench/fetcher-memory.test.ts).
   */
  fetcher: { timeout: Duration.minutes(5), memorySize: FETCHER_MEMORY.memorySizeMb },
  /**
   * Loads up to LOADER_BATCH_SIZE staged objects per invocation as large
   * ClickHouse inserts (gunzip + parse + insert over HTTPS). 5 minutes is far
   * above a healthy batch and keeps retries (visibility 6x = 30 minutes)
   * prompt when ClickHouse is briefly down. 1 GB holds a batch of decompressed
   * objects comfortably.
   */
  loader: { timeout: Duration.minutes(5), memorySize: 1024 },
  /** A handful of DynamoDB reads and one EMF line every 5 minutes. */
  monitor: { timeout: Duration.seconds(30), memorySize: 256 },
} as const;

/**
 * Receives before a message goes to its DLQ. Each receive of a shard already
 * includes the fetcher's own retries with backoff (SOURCE_MAX_RETRIES, with
 * Retry-After honoured), and with the concurrency cap on the event source
 * mapping (not reserved concurrency) Lambda does not throttle pulled
 * messages, so a receive is a real failed attempt. Five failed attempts, 30
 * minutes apart (the visibility timeout), is two and a half hours of a source
 * or ClickHouse refusing the same work: long enough to ride out an outage,
 * short enough that the DLQ alarm fires the same day.
 */
export const MAX_RECEIVE_COUNT = QUEUE_SETTINGS.shardMaxReceiveCount;

/** Visibility timeout = this many times the consuming function's timeout (AWS guidance for SQS event sources). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * Shards per fetcher invocation, fetched side by side: `maxConcurrency`
 * invocations fetch twice as many shards at once, each invocation pacing
 * them together at its share of the allowance.
 */
export const FETCHER_BATCH_SIZE = QUEUE_SETTINGS.fetcherBatchSize;
/** Staged objects per loader invocation, collected for up to LOADER_BATCHING_WINDOW: fewer, larger inserts. */
export const LOADER_BATCH_SIZE = QUEUE_SETTINGS.loaderBatchSize;
export const LOADER_BATCHING_WINDOW = Duration.seconds(30);

/** S3 key prefix of every staged object; its ObjectCreated events feed the load queue. */
export const STAGED_PREFIX = STAGING_PREFIX;

export interface PolymarketSyncStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** Directory holding the handler entries (planner.ts, ...); defaults to the repository's functions/. */
  readonly functionsDir?: string;
}

/**
 * One environment of the pipeline:
 * schedule -> planner -> shard queue -> fetchers -> S3 -> load queue -> loader -> ClickHouse,
 * DynamoDB for state, a monitor for freshness, alarms to SNS.
 */
export class PolymarketSyncStack extends Stack {
  readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: PolymarketSyncStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.config.account, region: props.config.region },
      description: `Polymarket trade fills -> ClickHouse sync pipeline (${props.config.stage})`,
    });
    const config = props.config;
    this.config = config;
    const { stage } = config;
    const name = (suffix: string) => `polymarket-sync-${stage}-${suffix}`;
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    Tags.of(this).add('project', 'polymarket-sync');
    Tags.of(this).add('stage', stage);

    // ---- State ---------------------------------------------------------
    const table = new dynamodb.Table(this, 'StateTable', {
      tableName: name('state'),
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: config.removalPolicy === 'retain',
      removalPolicy,
    });

    // ---- Staging bucket ------------------------------------------------
    const bucket = new s3.Bucket(this, 'StagingBucket', {
      bucketName: `${name('staging')}-${config.account}-${config.region}`,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Keys are deterministic per shard page: a rewrite is the same content,
      // so versions would only keep duplicates.
      versioned: false,
      lifecycleRules: [
        {
          id: 'expire-after-retention',
          enabled: true,
          // Never before a message that still refers to the object could be
          // processed or redriven: validation forces this above the 14-day
          // DLQ retention (see environments.ts, retention.stagedObjectDays).
          expiration: Duration.days(config.retention.stagedObjectDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
    });

    // ---- Queues --------------------------------------------------------
    const queue = (id: string, queueName: string, visibilityTimeout: Duration, dlq: sqs.IQueue) =>
      new sqs.Queue(this, id, {
        queueName,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout,
        retentionPeriod: Duration.days(QUEUE_RETENTION_DAYS),
        deadLetterQueue: { queue: dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
      });
    const deadLetterQueue = (id: string, queueName: string) =>
      new sqs.Queue(this, id, {
        queueName,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(DLQ_RETENTION_DAYS),
      });

    const shardDlq = deadLetterQueue('ShardDeadLetterQueue', name('shards-dlq'));
    const shardQueue = queue('ShardQueue', name('shards'), Duration.seconds(FUNCTION_SIZING.fetcher.timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR), shardDlq);
    const loadDlq = deadLetterQueue('LoadDeadLetterQueue', name('loads-dlq'));
    const loadQueue = queue(
      'LoadQueue',
      name('loads'),
      // The event source's batching window is part of what the message waits
      // through while invisible; add it on top of 6x the timeout.
      Duration.seconds(FUNCTION_SIZING.loader.timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR + LOADER_BATCHING_WINDOW.toSeconds()),
      loadDlq,
    );
    // S3 -> SQS directly: the queue policy lets s3.amazonaws.com send, only
    // for this bucket (aws:SourceArn) and account (aws:SourceAccount).
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(loadQueue), { prefix: STAGED_PREFIX });

    // ---- ClickHouse secret ---------------------------------------------
    const secretConfig = config.clickhouse.secret;
    let secret: secretsmanager.ISecret;
    if (secretConfig.from === 'create') {
      secret = new secretsmanager.Secret(this, 'ClickHouseSecret', {
        secretName: `polymarket-sync/${stage}/clickhouse`,
        description: `ClickHouse connection for polymarket-sync ${stage}: JSON {"url","username","password"}. Fill url and username (and set the password on the ClickHouse user) after the first deploy.`,
        // Only the shape is in the template; the password is generated by
        // Secrets Manager at deploy time and never appears in it.
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ url: '', username: '' }),
          generateStringKey: 'password',
          excludePunctuation: true,
          passwordLength: 32,
        },
        removalPolicy,
      });
    } else {
      secret = importSecret(this, 'ClickHouseSecret', secretConfig);
    }

    // ---- Source URLs secret (provider keys live in the URLs) -------------
    const urlsSecret = config.sources.urlsSecret ? importSecret(this, 'SourceUrlsSecret', config.sources.urlsSecret) : undefined;

    // ---- Functions -----------------------------------------------------
    const logRetention = config.retention.logDays as logs.RetentionDays;
    const sourceEnv = {
      SYNC_SOURCES: config.sources.enabled.join(','),
      POLYMARKET_SUBGRAPH_URL: config.sources.subgraphUrl,
      POLYMARKET_MARKETS_URL: config.sources.marketsUrl,
      POLYGON_RPC_URL: config.sources.polygonRpcUrl,
      // One V1 source: the subgraph when the stage enables it, else the V1 exchanges' logs.
      CHAIN_V1_FILLS: String(!config.sources.enabled.includes('subgraph')),
      ...sourcePacingEnvironment(config),
      ...chainAdaptersEnvironment(config),
      // Only the ARN: the planner and the fetcher read the keyed URLs at cold start, over the plain ones above.
      ...(urlsSecret ? { SOURCE_URLS_SECRET_ARN: urlsSecret.secretArn } : {}),
    };
    const common = { stage, logRetention, removalPolicy, functionsDir: props.functionsDir };
    // Every function gets the names of all four pipeline resources: the
    // handlers build their runtime (state store, blob store, both queues)
    // from one shared factory that reads them all at cold start. A name is
    // not a permission: what each function may do is set by the grants below.
    const resourceEnv = {
      SHARD_QUEUE_URL: shardQueue.queueUrl,
      LOAD_QUEUE_URL: loadQueue.queueUrl,
      STAGING_BUCKET: bucket.bucketName,
      STATE_TABLE: table.tableName,
    };

    const plannerFn = new PipelineFunction(this, 'Planner', {
      ...common,
      name: 'planner',
      description: 'Plans a sync run: splits what must be fetched into shards and enqueues them.',
      ...FUNCTION_SIZING.planner,
      // It cuts a small history into enough shards for every fetcher the shard queue's mapping may run at once.
      environment: { ...resourceEnv, ...sourceEnv, FETCHER_CONCURRENCY: String(config.fetcher.maxConcurrency) },
    });
    const planner = plannerFn.fn;
    // The planner reads no staged object: it announces unloaded keys from state when it resumes a run.
    grantSend(shardQueue, planner);
    grantSend(loadQueue, planner);
    grantStateReadWrite(table, planner);
    if (urlsSecret) grantSecretValue(urlsSecret, planner);

    const fetcherFn = new PipelineFunction(this, 'Fetcher', {
      ...common,
      name: 'fetcher',
      description: 'Fetches one shard from its source into gzip NDJSON objects in S3, checkpointing in DynamoDB.',
      ...FUNCTION_SIZING.fetcher,
      environment: { ...resourceEnv, ...sourceEnv, NODE_OPTIONS: FETCHER_NODE_OPTIONS },
      reservedConcurrentExecutions: config.fetcher.reservedConcurrency,
      // The fetcher re-enqueues its own continuation onto the queue that
      // triggers it. Lambda's recursive-loop detection would stop such a
      // chain after ~16 hops and drop the message; a long shard legitimately
      // continues more often than that.
      recursiveLoop: lambda.RecursiveLoop.ALLOW,
    });
    const fetcher = fetcherFn.fn;
    // An event source mapping of our own rather than SqsEventSource, whose grant adds calls nothing makes (grantPoll).
    fetcher.addEventSourceMapping('ShardQueueSource', {
      eventSourceArn: shardQueue.queueArn,
      batchSize: FETCHER_BATCH_SIZE,
      maxConcurrency: config.fetcher.maxConcurrency,
      reportBatchItemFailures: true,
    });
    grantPoll(shardQueue, fetcher);
    // Its continuation goes to the shard queue; a fetcher that closes the run announces its last object to the load queue.
    grantSend(shardQueue, fetcher);
    grantSend(loadQueue, fetcher);
    grantStateReadWrite(table, fetcher);
    // Rejected rows travel inside the staged objects (a `rejects` record),
    // so staged/ is the only prefix anything writes.
    grantStagedPut(bucket, fetcher, STAGED_PREFIX);
    if (urlsSecret) grantSecretValue(urlsSecret, fetcher);

    const loaderFn = new PipelineFunction(this, 'Loader', {
      ...common,
      name: 'loader',
      description: 'Inserts staged objects into ClickHouse (idempotent) and advances watermarks.',
      ...FUNCTION_SIZING.loader,
      environment: {
        ...resourceEnv,
        // Only the ARN: the loader reads the value at cold start.
        CLICKHOUSE_SECRET_ARN: secret.secretArn,
        CLICKHOUSE_DATABASE: config.clickhouse.database,
      },
    });
    const loader = loaderFn.fn;
    loader.addEventSourceMapping('LoadQueueSource', {
      eventSourceArn: loadQueue.queueArn,
      batchSize: LOADER_BATCH_SIZE,
      maxBatchingWindow: LOADER_BATCHING_WINDOW,
      maxConcurrency: config.loader.maxConcurrency,
      reportBatchItemFailures: true,
    });
    grantPoll(loadQueue, loader);
    grantStagedGet(bucket, loader, STAGED_PREFIX);
    grantStateReadWrite(table, loader);
    grantSecretValue(secret, loader);

    const monitorFn = new PipelineFunction(this, 'Monitor', {
      ...common,
      name: 'monitor',
      description: 'Freshness probe every 5 minutes; data-quality probe of ClickHouse once an hour.',
      ...FUNCTION_SIZING.monitor,
      environment: {
        ...resourceEnv,
        // The hourly data-quality probe reads ClickHouse as the loader does: only the secret's ARN here.
        CLICKHOUSE_SECRET_ARN: secret.secretArn,
        CLICKHOUSE_DATABASE: config.clickhouse.database,
        ...chainAdaptersEnvironment(config),
      },
    });
    const monitor = monitorFn.fn;
    grantStateItemRead(table, monitor);
    grantSecretValue(secret, monitor);
    // A failed probe is not retried: the next one is 5 minutes away, and a
    // retry would publish a stale reading late.
    monitor.configureAsyncInvoke({ retryAttempts: 0 });

    // ---- Schedules -----------------------------------------------------
    new events.Rule(this, 'PlannerSchedule', {
      ruleName: name('planner-schedule'),
      description: `Starts a polymarket-sync ${stage} run (${config.schedule}).`,
      schedule: events.Schedule.expression(config.schedule),
      enabled: config.scheduleEnabled,
      targets: [new targets.LambdaFunction(planner, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
    // A positions refresh of a whole history outlasts a loader invocation: each stops in time, and this resumes it.
    new events.Rule(this, 'PositionsSchedule', {
      ruleName: name('positions-schedule'),
      description: 'Resumes a positions refresh that a loader invocation stopped for time',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(loader, { event: events.RuleTargetInput.fromObject(DERIVE_EVENT), retryAttempts: 0 })],
    });
    new events.Rule(this, 'MonitorSchedule', {
      ruleName: name('monitor-schedule'),
      description: `Freshness probe for polymarket-sync ${stage}.`,
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(monitor, { retryAttempts: 0 })],
    });

    // ---- Alarms --------------------------------------------------------
    const topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: name('alarms'),
      displayName: `polymarket-sync ${stage} alarms`,
      enforceSSL: true,
    });
    for (const email of config.alarms.emails) topic.addSubscription(new subscriptions.EmailSubscription(email));

    new Monitoring(this, 'Monitoring', {
      stage,
      topic,
      functions: { planner, fetcher, loader, monitor },
      queues: { shards: shardQueue, loads: loadQueue },
      deadLetterQueues: { shards: shardDlq, loads: loadDlq },
      staleAfterSeconds: config.alarms.staleAfterSeconds,
      maxFillLagSeconds: config.alarms.maxFillLagSeconds,
      sourceThrottledPer5Minutes: config.alarms.sourceThrottledPer5Minutes,
    });

    // ---- cdk-nag acknowledgments, each on its own construct ---------------
    acknowledgeStagingBucket(bucket);
    if (secretConfig.from === 'create') acknowledgeCreatedSecret(secret);
    acknowledgeStagedRead(loaderFn.role, bucket, STAGED_PREFIX);
    acknowledgeStagedPut(fetcherFn.role, bucket, STAGED_PREFIX);
    acknowledgeBucketNotificationsHandler(this);
  }
}
