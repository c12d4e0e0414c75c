import { z } from 'zod';
import { DEFAULT_MARKETS_URL, DEFAULT_POLYGON_RPC_URL, DEFAULT_SUBGRAPH_URL, DEFAULT_SYNC_SOURCES } from '#shared/config.ts';
import { SOURCE_NAMES } from '#shared/sources/source.ts';
import { credentialIn } from './keyed-urls.ts';

/**
 * One typed configuration per deployed environment ("stage"). Everything that
 * differs between dev, staging and prod lives here and nowhere else; the stack
 * reads only a parsed, validated `EnvironmentConfig`.
 *
 * Validation runs before any construct is created, so a bad value fails
 * `cdk synth` with a message that names the field (e.g.
 * `fetcher.maxConcurrency: ...`).
 */

/**
 * How long SQS keeps a message in either dead-letter queue (the SQS maximum).
 * A load message can refer to a staged object for at most this long: SQS
 * measures retention from the original enqueue time, also after a move into a
 * DLQ. The staged-object lifecycle must therefore outlive it (see
 * `retention.stagedObjectDays` below and docs/OPERATIONS.md).
 */
export const DLQ_RETENTION_DAYS = 14;

/** How long the working queues keep a message; shorter than the DLQs' so a message always fits in its DLQ. */
export const QUEUE_RETENTION_DAYS = 7;

/** Log retention values CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });

/**
 * A URL that goes into the template as plain text, so it must carry no key.
 * The message names what looks like a key, never the value.
 */
const publicUrl = httpsUrl.superRefine((url, ctx) => {
  const why = credentialIn(url);
  if (why) {
    ctx.addIssue({
      code: 'custom',
      message: `carries ${why}; a template is readable by anyone who can describe the stack: put this URL in the sources.urlsSecret secret instead (docs/OPERATIONS.md, "Source URLs with keys")`,
    });
  }
});

const requestsPerSecond = z.number().positive('must be a positive number of requests per second').max(100_000);

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const region = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region name such as eu-west-1');

/** `rate(6 hours)` / `cron(0 0/6 * * ? *)`: the two forms EventBridge accepts. */
const scheduleExpression = z
  .string()
  .regex(
    /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/,
    'must be an EventBridge schedule expression: rate(<n> minutes|hours|days) or cron(<6 fields>)',
  );

/** The period of a `rate(...)` expression in seconds, or undefined for cron. */
export function ratePeriodSeconds(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!m) return undefined;
  const unit = { minute: 60, hour: 3600, day: 86_400 }[m[2] as 'minute' | 'hour' | 'day'];
  return Number(m[1]) * unit;
}

const secretArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
    'must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>)',
  );
const secretName = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name');

/**
 * Where the ClickHouse credentials live. The secret's value is JSON
 * `{ "url": "https://host:8443", "username": "...", "password": "..." }` and
 * is read by the loader at cold start; only the ARN reaches the template.
 */
const clickhouseSecret = z.discriminatedUnion('from', [
  /** An existing secret, by full ARN (preferred: the grant is exact). */
  z.strictObject({
    from: z.literal('arn'),
    arn: secretArn,
    /** The customer-managed KMS key the secret is encrypted with, if any (the loader is granted kms:Decrypt on it). */
    kmsKeyArn: z.string().startsWith('arn:').optional(),
  }),
  /** An existing secret, by name (the grant covers `<name>-??????`). */
  z.strictObject({
    from: z.literal('name'),
    name: secretName,
    kmsKeyArn: z.string().startsWith('arn:').optional(),
  }),
  /**
   * The stack creates `polymarket-sync/<stage>/clickhouse` with a generated
   * password and empty url/username; the operator fills it in after the first
   * deploy (docs/OPERATIONS.md). Nothing of the value is in the template.
   */
  z.strictObject({ from: z.literal('create') }),
]);

/**
 * The secret holding the source URLs that carry a provider key: JSON
 * `{ "POLYGON_RPC_URL": "https://...", "POLYMARKET_SUBGRAPH_URL": "https://..." }`
 * (any of POLYGON_RPC_URL, POLYMARKET_SUBGRAPH_URL, POLYMARKET_MARKETS_URL,
 * POLYMARKET_GAMMA_URL). Only its ARN reaches the template; the planner and
 * the fetcher read it at cold start, and its URLs win over the plain ones.
 */
const sourceUrlsSecret = z.discriminatedUnion('from', [
  z.strictObject({ from: z.literal('arn'), arn: secretArn, kmsKeyArn: z.string().startsWith('arn:').optional() }),
  z.strictObject({ from: z.literal('name'), name: secretName, kmsKeyArn: z.string().startsWith('arn:').optional() }),
]);

export const EnvironmentConfigSchema = z
  .strictObject({
    /** Short stage name; goes into every resource name and the metrics' `Stage` dimension. */
    stage: z.string().regex(/^[a-z][a-z0-9]{1,9}$/, 'must be 2-10 lowercase letters/digits starting with a letter'),
    account: accountId,
    region,
    /** When the planner runs. */
    schedule: scheduleExpression.default('rate(6 hours)'),
    /** false deploys everything but leaves the planner's schedule disabled (the monitor still runs). */
    scheduleEnabled: z.boolean().default(true),
    sources: z
      .strictObject({
        /** Default: the market lists and the chain (V1 and V2 fills from the exchanges' logs). With `subgraph`, V1 fills come from the subgraph instead. */
        enabled: z
          .array(z.enum(SOURCE_NAMES))
          .min(1, 'must name at least one source')
          .default([...DEFAULT_SYNC_SOURCES]),
        /** Plain, keyless URLs only (they are template text); a URL with a key goes in urlsSecret. */
        subgraphUrl: publicUrl.default(DEFAULT_SUBGRAPH_URL),
        marketsUrl: publicUrl.default(DEFAULT_MARKETS_URL),
        polygonRpcUrl: publicUrl.default(DEFAULT_POLYGON_RPC_URL),
        /** Unset: the plain URLs above are used as they are (public endpoints carry no key). */
        urlsSecret: sourceUrlsSecret.optional(),
        /**
         * The collateral adapters whose activity belongs to the wallet behind
         * them (CHAIN_ADAPTERS). Unset: the four the product knows. Setting it
         * replaces that list, so name them all; after adding one, replay from
         * its first block.
         */
        chainAdapters: z
          .array(z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address'))
          .min(1, 'must name at least one adapter, or be left out')
          .optional(),
        /**
         * Each source's TOTAL allowance in requests per second, shared by all
         * fetchers of the stage (each paces at total / fetcher.maxConcurrency).
         * A source left out is not paced.
         */
        requestsPerSecond: z
          .strictObject({
            subgraph: requestsPerSecond.optional(),
            markets: requestsPerSecond.optional(),
            chain: requestsPerSecond.optional(),
          })
          .prefault({}),
      })
      .prefault({}),
    fetcher: z
      .strictObject({
        /**
         * The cap on concurrent fetchers: the SQS event source mapping's
         * maxConcurrency (2..1000, the range Lambda accepts). Each fetches two
         * shards side by side, so the sources see up to twice this many
         * requests at once, paced together at the stage's allowance.
         */
        maxConcurrency: z.number().int().min(2).max(1000),
        /**
         * Optional reserved concurrency. Never below maxConcurrency: a lower
         * value makes Lambda throttle messages the poller already pulled, which
         * count as receives and land in the DLQ without ever failing.
         */
        reservedConcurrency: z.number().int().min(2).max(1000).optional(),
      })
      .refine((f) => f.reservedConcurrency === undefined || f.reservedConcurrency >= f.maxConcurrency, {
        path: ['reservedConcurrency'],
        message: 'must be at least fetcher.maxConcurrency (lower reserved concurrency throttles pulled messages into the DLQ)',
      }),
    loader: z
      .strictObject({
        /** Concurrent loaders; ClickHouse prefers few, large inserts, so keep this low. */
        maxConcurrency: z.number().int().min(2).max(1000).default(2),
      })
      .prefault({}),
    clickhouse: z.strictObject({
      secret: clickhouseSecret,
      database: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a plain identifier')
        .default('polymarket'),
    }),
    alarms: z
      .strictObject({
        /** Email addresses subscribed to the alarm topic (each must confirm the subscription). */
        emails: z.array(z.email('must be an email address')).default([]),
        /** SecondsSinceLastLoad above this is stale. Must exceed the schedule period. */
        staleAfterSeconds: z
          .number()
          .int()
          .positive()
          .default(13 * 3600),
        /** NewestFillLagSeconds above this means we are behind the source head. */
        maxFillLagSeconds: z
          .number()
          .int()
          .positive()
          .default(13 * 3600),
        /** SourceThrottled (HTTP 429s) per 5 minutes above this alarms. */
        sourceThrottledPer5Minutes: z.number().int().nonnegative().default(50),
      })
      .prefault({}),
    retention: z.strictObject({
      /**
       * Days a staged object is kept. Must exceed the DLQ retention
       * (14 days): a load message lives at most that long in the load queue
       * plus its DLQ, so every object still referenced by a message (and so
       * not yet loaded) still exists when the message is processed or
       * redriven.
       */
      stagedObjectDays: z
        .number()
        .int()
        .max(3650)
        .refine((d) => d > DLQ_RETENTION_DAYS, {
          message: `must exceed the ${DLQ_RETENTION_DAYS}-day DLQ retention, so no staged object expires while a message for it can still be loaded or redriven`,
        }),
      /** CloudWatch Logs retention of every function's log group. */
      logDays: z
        .number()
        .int()
        .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
          message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
        })
        .default(30),
    }),
    /** retain: stateful resources (table, bucket, created secret, log groups) survive stack deletion. */
    removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  })
  .superRefine((c, ctx) => {
    const period = ratePeriodSeconds(c.schedule);
    if (period !== undefined && c.alarms.staleAfterSeconds <= period) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarms', 'staleAfterSeconds'],
        message: `must exceed the schedule period (${period} s for ${c.schedule}), or every healthy cycle alarms`,
      });
    }
    const arns: [string[], string | undefined][] = [
      [['clickhouse', 'secret', 'arn'], c.clickhouse.secret.from === 'arn' ? c.clickhouse.secret.arn : undefined],
      [['sources', 'urlsSecret', 'arn'], c.sources.urlsSecret?.from === 'arn' ? c.sources.urlsSecret.arn : undefined],
    ];
    for (const [path, arn] of arns) {
      if (arn === undefined) continue;
      const [, , , secretRegion, secretAccount] = arn.split(':');
      if (secretRegion !== c.region || secretAccount !== c.account) {
        ctx.addIssue({ code: 'custom', path, message: `must be in the environment's own account and region (${c.account}/${c.region})` });
      }
    }
  });

/** What you write per environment (defaults may be left out). */
export type EnvironmentConfigInput = z.input<typeof EnvironmentConfigSchema>;
/** What the stack reads: validated, defaults filled in. */
export type EnvironmentConfig = z.output<typeof EnvironmentConfigSchema>;

/** A configuration that failed validation; the message names every bad field. */
export class EnvironmentConfigError extends Error {
  override name = 'EnvironmentConfigError';
}

/** Validates one environment's configuration, throwing an error that names each bad field. */
export function parseEnvironmentConfig(input: unknown): EnvironmentConfig {
  const parsed = EnvironmentConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const label =
    typeof input === 'object' && input !== null && typeof (input as { stage?: unknown }).stage === 'string'
      ? `"${(input as { stage: string }).stage}"`
      : '(unnamed)';
  const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  throw new EnvironmentConfigError(`Invalid configuration for environment ${label}: ${problems.join('; ')}`);
}

/**
 * The deployed environments. Account ids are placeholders: replace them with
 * your own before deploying (docs/OPERATIONS.md, "Configuration").
 */
export const ENVIRONMENTS: readonly EnvironmentConfigInput[] = [
  {
    stage: 'dev',
    account: '111111111111',
    region: 'eu-west-1',
    // Default schedule: rate(6 hours).
    fetcher: { maxConcurrency: 2 },
    clickhouse: { secret: { from: 'create' } },
    alarms: { emails: [] },
    retention: { stagedObjectDays: 15, logDays: 7 },
    removalPolicy: 'destroy',
  },
  {
    stage: 'staging',
    account: '222222222222',
    region: 'eu-west-1',
    schedule: 'rate(6 hours)',
    // A keyed Polygon RPC (public RPCs are too limited for eth_getLogs at volume): its URL lives in this secret.
    sources: { urlsSecret: { from: 'name', name: 'polymarket-sync/staging/source-urls' } },
    fetcher: { maxConcurrency: 4 },
    clickhouse: { secret: { from: 'name', name: 'polymarket-sync/staging/clickhouse' } },
    alarms: { emails: ['polymarket-sync-staging@example.com'] },
    retention: { stagedObjectDays: 21, logDays: 30 },
    removalPolicy: 'retain',
  },
  {
    stage: 'prod',
    account: '333333333333',
    region: 'eu-west-1',
    // Every 6 hours, a quarter past, away from the top-of-hour rush on public endpoints.
    schedule: 'cron(15 0/6 * * ? *)',
    sources: {
      // Keyed provider URLs (RPC, subgraph gateway): only the secret's ARN is in the template.
      urlsSecret: { from: 'arn', arn: 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:polymarket-sync/prod/source-urls-GhIjKl' },
    },
    fetcher: { maxConcurrency: 8, reservedConcurrency: 10 },
    loader: { maxConcurrency: 2 },
    clickhouse: {
      secret: {
        from: 'arn',
        arn: 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:polymarket-sync/prod/clickhouse-AbCdEf',
      },
    },
    alarms: { emails: ['oncall@example.com'], staleAfterSeconds: 8 * 3600, maxFillLagSeconds: 8 * 3600 },
    retention: { stagedObjectDays: 30, logDays: 90 },
    removalPolicy: 'retain',
  },
];
