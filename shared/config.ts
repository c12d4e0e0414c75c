import { z } from 'zod';
import { SOURCE_NAMES, type SourceName } from './sources/source.ts';

/** Raised when a setting is missing or wrong; the message names the environment variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_SUBGRAPH_URL = 'https://api.goldsky.com/api/public/project_cl6mb8i9h0003e201j6li0diw/subgraphs/orderbook-subgraph/0.0.1/gn';
export const DEFAULT_MARKETS_URL = 'https://clob.polymarket.com';
export const DEFAULT_POLYGON_RPC_URL = 'https://polygon-rpc.com';
export const DEFAULT_GAMMA_URL = 'https://gamma-api.polymarket.com';
/** Source pages a fetcher gathers into one staged object (PAGES_PER_OBJECT). */
export const DEFAULT_PAGES_PER_OBJECT = 20;
export const MARKET_LIST_NAMES = ['clob', 'gamma', 'subgraph'] as const;

/**
 * By default V1 history comes from the chain (every fill with its block and
 * log index, which positions need); the subgraph is the alternative for V1
 * (SYNC_SOURCES=markets,subgraph,chain with CHAIN_V1_FILLS=false).
 */
export const DEFAULT_SYNC_SOURCES: readonly SourceName[] = SOURCE_NAMES.filter((s) => s !== 'subgraph');

const addressList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be comma-separated 0x addresses')));
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

const httpUrl = z.url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');
/** The loopback names a ClickHouse server may be reached at over plain http: nothing crosses a network there. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
export const CLICKHOUSE_URL_RULE = 'must be https (plain http only for localhost, 127.0.0.1 or ::1: the password would cross the network in clear)';
/** True when a ClickHouse URL may carry the warehouse's credentials: https, or http to this machine. */
export function isAllowedClickHouseUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname));
  } catch {
    return false;
  }
}
const clickHouseUrl = httpUrl.refine(isAllowedClickHouseUrl, CLICKHOUSE_URL_RULE);
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a plain identifier (letters, digits, _)');
const positiveInt = (max: number) => z.coerce.number().int().positive().max(max);
/** A source's total allowance in requests per second; fractions allowed (one request every 2 s is 0.5). */
const requestsPerSecond = z.coerce.number().positive().max(100_000);

/**
 * Every setting the pipeline reads, by environment variable name. Functions
 * read only what they need through the pick* helpers below, so a planner is
 * not refused for lacking a loader's setting.
 */
const settings = {
  POLYMARKET_SUBGRAPH_URL: httpUrl.default(DEFAULT_SUBGRAPH_URL),
  POLYMARKET_MARKETS_URL: httpUrl.default(DEFAULT_MARKETS_URL),
  POLYGON_RPC_URL: httpUrl.default(DEFAULT_POLYGON_RPC_URL),
  POLYMARKET_GAMMA_URL: httpUrl.default(DEFAULT_GAMMA_URL),
  /** Market lists the markets source reads; unset: clob and gamma, plus the subgraph's marketDatas when the subgraph source is enabled. */
  MARKET_LISTS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(MARKET_LIST_NAMES)).min(1, 'must name at least one list'))
    .optional(),
  SYNC_SOURCES: z
    .string()
    .default(DEFAULT_SYNC_SOURCES.join(','))
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(SOURCE_NAMES)).min(1, 'must name at least one source')),
  SOURCE_TIMEOUT_MS: positiveInt(600_000).default(30_000),
  SOURCE_MAX_RETRIES: z.coerce.number().int().min(0).max(50).default(8),
  SUBGRAPH_PAGE_SIZE: positiveInt(1000).default(1000),
  // Unset: that source is not paced (requests go out as fast as the fetchers ask).
  SUBGRAPH_REQUESTS_PER_SECOND: requestsPerSecond.optional(),
  MARKETS_REQUESTS_PER_SECOND: requestsPerSecond.optional(),
  GAMMA_REQUESTS_PER_SECOND: requestsPerSecond.optional(),
  CHAIN_REQUESTS_PER_SECOND: requestsPerSecond.optional(),
  /**
   * How many processes split each source's allowance: each paces at
   * total / this. In AWS every fetcher is its own process (infra sets it to
   * the fetcher's maxConcurrency); the local runner is one process, so 1.
   */
  SOURCE_RATE_SHARED_BY: positiveInt(1000).default(1),
  /**
   * How many fetchers work at once, each on QUEUE_SETTINGS.fetcherBatchSize
   * shards (in AWS the shard queue's event source maxConcurrency, set by
   * infra; the local runner passes its --concurrency): the planner cuts a
   * small history into at least SHARDS_PER_FETCHER shards per fetcher. Unset
   * or 0: shards sized by rows alone.
   */
  FETCHER_CONCURRENCY: z.coerce.number().int().min(0).max(1000).optional(),
  PAGES_PER_OBJECT: positiveInt(1000).default(DEFAULT_PAGES_PER_OBJECT),
  CHAIN_CONFIRMATIONS: z.coerce.number().int().min(0).max(10_000).default(0),
  CHAIN_USE_FINALIZED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  CHAIN_MAX_BLOCK_SPAN: positiveInt(1_000_000).optional(),
  CHAIN_MAX_LOGS_PER_REQUEST: positiveInt(1_000_000).optional(),
  CHAIN_GENESIS_BLOCK: z.coerce.number().int().nonnegative().optional(),
  CHAIN_EXCHANGES: addressList.pipe(z.array(z.string()).min(1, 'must name at least one exchange')).optional(),
  /** Read V1 fills from the V1 exchanges' logs (the default way V1 history is loaded). */
  CHAIN_V1_FILLS: bool.default(true),
  /** Read what changes positions besides fills: token registrations, conditions, splits, merges, redemptions, conversions, proxy wallets. */
  CHAIN_ACTIVITY: bool.default(true),
  /** Collateral adapters whose CTF activity belongs to the wallet on the other side of the ERC-1155 transfer. */
  CHAIN_ADAPTERS: addressList.optional(),
  CHAIN_ROWS_PER_SHARD: positiveInt(10_000_000).optional(),
  CHAIN_LOGS_PER_BLOCK: z.coerce.number().positive().optional(),
  CHAIN_BLOCK_BATCH_SIZE: positiveInt(1000).optional(),
  /** Take the timestamps the chain's consensus rule proves between two headers read, instead of reading every header. */
  CHAIN_INFER_TIMESTAMPS: bool.default(true),
  CLICKHOUSE_URL: clickHouseUrl.optional(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: identifier.default('polymarket'),
  CLICKHOUSE_SECRET_ARN: z.string().startsWith('arn:').optional(),
  /** A Secrets Manager secret whose JSON holds the source URLs that carry keys (they override the plain *_URL settings); read once per cold start. */
  SOURCE_URLS_SECRET_ARN: z.string().startsWith('arn:').optional(),
  SHARD_QUEUE_URL: httpUrl,
  LOAD_QUEUE_URL: httpUrl,
  STAGING_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
  STATE_TABLE: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a valid DynamoDB table name'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL_S3: httpUrl.optional(),
  AWS_ENDPOINT_URL_SQS: httpUrl.optional(),
  AWS_ENDPOINT_URL_DYNAMODB: httpUrl.optional(),
  SYNC_STAGE: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'must be lower-case letters, digits and dashes')
    .default('local'),
} as const;

export type SettingName = keyof typeof settings;
type Settings = { [K in SettingName]: z.output<(typeof settings)[K]> };
export type PickedConfig<K extends SettingName> = Pick<Settings, K>;

/** Reads the named settings from the environment and fails on the first wrong one, naming it. */
export function readSettings<K extends SettingName>(names: readonly K[], env: NodeJS.ProcessEnv = process.env): PickedConfig<K> {
  const out: Partial<Settings> = {};
  const problems: string[] = [];
  for (const name of names) {
    const raw = env[name];
    const parsed = settings[name].safeParse(raw === '' ? undefined : raw);
    if (parsed.success) {
      (out as Record<string, unknown>)[name] = parsed.data;
    } else {
      const why = raw === undefined || raw === '' ? 'is required but not set' : `is invalid (${parsed.error.issues.map((i) => i.message).join('; ')})`;
      problems.push(`${name} ${why}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`Configuration error: ${problems.join('; ')}`);
  return out as PickedConfig<K>;
}

export const SOURCE_SETTINGS = [
  'POLYMARKET_SUBGRAPH_URL',
  'POLYMARKET_MARKETS_URL',
  'POLYGON_RPC_URL',
  'POLYMARKET_GAMMA_URL',
  'MARKET_LISTS',
  'SYNC_SOURCES',
  'SOURCE_TIMEOUT_MS',
  'SOURCE_MAX_RETRIES',
  'SUBGRAPH_PAGE_SIZE',
  'SUBGRAPH_REQUESTS_PER_SECOND',
  'MARKETS_REQUESTS_PER_SECOND',
  'GAMMA_REQUESTS_PER_SECOND',
  'CHAIN_REQUESTS_PER_SECOND',
  'SOURCE_RATE_SHARED_BY',
  'CHAIN_CONFIRMATIONS',
  'CHAIN_USE_FINALIZED',
  'CHAIN_MAX_BLOCK_SPAN',
  'CHAIN_MAX_LOGS_PER_REQUEST',
  'CHAIN_GENESIS_BLOCK',
  'CHAIN_EXCHANGES',
  'CHAIN_V1_FILLS',
  'CHAIN_ACTIVITY',
  'CHAIN_ADAPTERS',
  'CHAIN_ROWS_PER_SHARD',
  'CHAIN_LOGS_PER_BLOCK',
  'CHAIN_BLOCK_BATCH_SIZE',
  'CHAIN_INFER_TIMESTAMPS',
] as const satisfies readonly SettingName[];
export type SourceSettings = PickedConfig<(typeof SOURCE_SETTINGS)[number]>;

/** The source URLs a deployment may keep in its source-URLs secret instead of the environment (a provider key lives in the URL). */
export const SOURCE_URL_SETTINGS = [
  'POLYGON_RPC_URL',
  'POLYMARKET_SUBGRAPH_URL',
  'POLYMARKET_MARKETS_URL',
  'POLYMARKET_GAMMA_URL',
] as const satisfies readonly SettingName[];

/** The setting that holds each source's total allowance, in requests per second. */
export const SOURCE_RATE_SETTINGS = {
  subgraph: 'SUBGRAPH_REQUESTS_PER_SECOND',
  markets: 'MARKETS_REQUESTS_PER_SECOND',
  chain: 'CHAIN_REQUESTS_PER_SECOND',
} as const satisfies Record<SourceName, SettingName>;

export const CLICKHOUSE_SETTINGS = [
  'CLICKHOUSE_URL',
  'CLICKHOUSE_USER',
  'CLICKHOUSE_PASSWORD',
  'CLICKHOUSE_DATABASE',
  'CLICKHOUSE_SECRET_ARN',
] as const satisfies readonly SettingName[];
export type ClickHouseSettings = PickedConfig<(typeof CLICKHOUSE_SETTINGS)[number]>;

export const AWS_SETTINGS = [
  'AWS_REGION',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_DYNAMODB',
] as const satisfies readonly SettingName[];
