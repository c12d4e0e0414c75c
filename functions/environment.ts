import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { z } from 'zod';
import {
  AWS_SETTINGS,
  CLICKHOUSE_SETTINGS,
  CLICKHOUSE_URL_RULE,
  isAllowedClickHouseUrl,
  readSettings,
  SOURCE_SETTINGS,
  SOURCE_URL_SETTINGS,
  ConfigError,
} from '#shared/config.ts';
import { dynamoDocumentClient, s3Client, sqsClient } from '#adapters/aws/clients.ts';
import { S3BlobStore } from '#adapters/aws/s3-blob-store.ts';
import { SqsLoadQueue, SqsShardQueue } from '#adapters/aws/sqs-queues.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { buildSources, type SourceRegistry } from '#shared/sources/registry.ts';
import { serverClient } from '#adapters/clickhouse/client.ts';
import type { Warehouse, WarehouseProvider } from '#shared/ports/index.ts';
import { createObservability, type Observability } from './handlers/observability.ts';

/**
 * The Lambda entries' one place that reads the environment: each entry builds
 * what its handler needs once per cold start. Each builder reads only its own
 * settings, so a wrong setting fails the cold start with a message that names it.
 */

export function observabilityFromEnvironment(env: NodeJS.ProcessEnv = process.env): Observability {
  return createObservability({
    service: env.POWERTOOLS_SERVICE_NAME ?? 'polymarket-sync',
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'PolymarketSync',
    stage: readSettings(['SYNC_STAGE'], env).SYNC_STAGE,
  });
}

/** Queues, bucket and state table, as named by the environment. */
export function pipelineFromEnvironment(env: NodeJS.ProcessEnv = process.env) {
  const s = readSettings([...AWS_SETTINGS, 'SHARD_QUEUE_URL', 'LOAD_QUEUE_URL', 'STAGING_BUCKET', 'STATE_TABLE', 'PAGES_PER_OBJECT'], env);
  const sqs = sqsClient({ region: s.AWS_REGION, endpoint: s.AWS_ENDPOINT_URL_SQS });
  return {
    state: new DynamoStateStore(dynamoDocumentClient({ region: s.AWS_REGION, endpoint: s.AWS_ENDPOINT_URL_DYNAMODB }), s.STATE_TABLE),
    blobs: new S3BlobStore(s3Client({ region: s.AWS_REGION, endpoint: s.AWS_ENDPOINT_URL_S3 }), s.STAGING_BUCKET),
    shardQueue: new SqsShardQueue(sqs, s.SHARD_QUEUE_URL),
    loadQueue: new SqsLoadQueue(sqs, s.LOAD_QUEUE_URL, s.STAGING_BUCKET),
    pagesPerObject: s.PAGES_PER_OBJECT,
  };
}

/** What the planner needs besides the pipeline and the sources: how many shards the fetchers work on at once. */
export function plannerFromEnvironment(env: NodeJS.ProcessEnv = process.env): { fetcherConcurrency?: number } {
  const { FETCHER_CONCURRENCY } = readSettings(['FETCHER_CONCURRENCY'], env);
  return FETCHER_CONCURRENCY === undefined ? {} : { fetcherConcurrency: FETCHER_CONCURRENCY };
}

/** The collateral adapters and exchanges the stage configures (CHAIN_ADAPTERS, CHAIN_EXCHANGES), for the monitor's attribution probe. */
export function chainContractsFromEnvironment(env: NodeJS.ProcessEnv = process.env): {
  adapters?: readonly string[] | undefined;
  exchanges?: readonly string[] | undefined;
} {
  const s = readSettings(['CHAIN_ADAPTERS', 'CHAIN_EXCHANGES'], env);
  return { adapters: s.CHAIN_ADAPTERS, exchanges: s.CHAIN_EXCHANGES };
}

/** The sources, from plain settings only (public endpoints, local runs, tests). A deployed entry uses `loadSourcesFromEnvironment`. */
export function sourcesFromEnvironment(env: NodeJS.ProcessEnv = process.env): SourceRegistry {
  return buildSources(readSettings(SOURCE_SETTINGS, env));
}

/**
 * The source-URLs secret's value: any of the source URL settings, each an
 * https URL. Unknown keys are refused so a misspelt name does not silently
 * leave the public default in place.
 */
const sourceUrlsSecretSchema = z.strictObject(Object.fromEntries(SOURCE_URL_SETTINGS.map((name) => [name, z.url({ protocol: /^https$/ }).optional()])));

/** Reads a Secrets Manager secret's JSON value; the entry passes Powertools' cached `getSecret`, tests a stand-in. */
export type SecretJsonReader = (arn: string) => Promise<unknown>;

const readSecretJson: SecretJsonReader = (arn) => getSecret(arn, { transform: 'json' });

/**
 * The environment the sources are built from: the plain settings, with the
 * URLs held in SOURCE_URLS_SECRET_ARN's secret (provider keys live in them)
 * laid over them. Without that setting, the plain settings as they are:
 * public endpoints carry no key.
 */
export async function sourceEnvironment(env: NodeJS.ProcessEnv = process.env, readSecret: SecretJsonReader = readSecretJson): Promise<NodeJS.ProcessEnv> {
  const arn = readSettings(['SOURCE_URLS_SECRET_ARN'], env).SOURCE_URLS_SECRET_ARN;
  if (!arn) return env;
  const parsed = sourceUrlsSecretSchema.safeParse(await readSecret(arn));
  // Never echo the secret: name the fields that are wrong, not their values.
  if (!parsed.success) {
    const fields = parsed.error.issues.map(
      (i) => (i.code === 'unrecognized_keys' ? i.keys.join(', ') : i.path.join('.')) || '(the value is not a JSON object)',
    );
    throw new ConfigError(
      `SOURCE_URLS_SECRET_ARN secret is invalid: ${fields.join(', ')}; it must be a JSON object of https URLs keyed by ${SOURCE_URL_SETTINGS.join(', ')}`,
    );
  }
  return { ...env, ...parsed.data };
}

/** The sources as a deployed entry builds them: once per cold start, after reading the source-URLs secret if one is configured. */
export async function loadSourcesFromEnvironment(env: NodeJS.ProcessEnv = process.env, readSecret: SecretJsonReader = readSecretJson): Promise<SourceRegistry> {
  return sourcesFromEnvironment(await sourceEnvironment(env, readSecret));
}

/** The ClickHouse secret's value; its url follows CLICKHOUSE_URL's rule (https, plain http only to this machine). */
const clickHouseSecretSchema = z.object({ url: z.url().refine(isAllowedClickHouseUrl, CLICKHOUSE_URL_RULE), username: z.string(), password: z.string() });

/** A ClickHouse server named by CLICKHOUSE_URL, or by the Secrets Manager secret in CLICKHOUSE_SECRET_ARN; connected on first use. */
export function warehouseFromEnvironment(env: NodeJS.ProcessEnv = process.env, readSecret: SecretJsonReader = readSecretJson): WarehouseProvider {
  const s = readSettings(CLICKHOUSE_SETTINGS, env);
  if (!s.CLICKHOUSE_SECRET_ARN && !s.CLICKHOUSE_URL) {
    throw new ConfigError('Configuration error: CLICKHOUSE_URL or CLICKHOUSE_SECRET_ARN is required but not set');
  }
  const connect = async (): Promise<Warehouse> => {
    if (!s.CLICKHOUSE_SECRET_ARN) {
      return {
        client: serverClient({ url: s.CLICKHOUSE_URL!, username: s.CLICKHOUSE_USER, password: s.CLICKHOUSE_PASSWORD }),
        database: s.CLICKHOUSE_DATABASE,
      };
    }
    const raw = await readSecret(s.CLICKHOUSE_SECRET_ARN);
    const secret = clickHouseSecretSchema.safeParse(raw);
    // Never echo the secret: only say which fields are wrong, and the url's rule when that is what it breaks.
    if (!secret.success) {
      const issues = secret.error.issues;
      const missing = issues.filter((i) => i.code !== 'custom').map((i) => i.path.join('.'));
      const rules = issues.filter((i) => i.code === 'custom').map((i) => `${i.path.join('.')} ${i.message}`);
      throw new ConfigError(
        `CLICKHOUSE_SECRET_ARN secret is invalid: ${[...(missing.length ? [`needs JSON fields ${missing.join(', ')}`] : []), ...rules].join('; ')}`,
      );
    }
    return { client: serverClient(secret.data), database: s.CLICKHOUSE_DATABASE };
  };
  let connected: Promise<Warehouse> | undefined;
  return () => {
    if (!connected) {
      const attempt = connect();
      // A failed secret read is tried again by the next invocation.
      attempt.catch(() => {
        if (connected === attempt) connected = undefined;
      });
      connected = attempt;
    }
    return connected;
  };
}
