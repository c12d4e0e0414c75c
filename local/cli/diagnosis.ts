import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseError } from '@clickhouse/client';
import { ConfigError } from '#shared/config.ts';
import { errorFacts, failureCause, type ErrorFacts, type FailureCause } from '#shared/ops/error-facts.ts';
import { errorText, redactUrls } from '#shared/ops/status.ts';
import { sourceIdentityOf, type SourceIdentity, type SourceService } from '#shared/sources/source-error.ts';
import { DataDirInUseError } from '#local/data-dir-lock.ts';
import { SIMULATED_WORLD_FILE } from './simulated.ts';
import { clickhouseHostOf, SIMULATED_DATA_DIR } from './warehouse.ts';

/**
 * Turns a fatal error into what a person can act on: which service failed
 * and its host (never a key, path or query string), the cause in words, and
 * what to do next. Everything past the first line of an unrecognised error
 * (and every stack) waits for `--verbose`.
 */

/** Services a command talks to besides the sources: the warehouse, and the local directories. */
export type Service = SourceService | 'clickhouse' | 'data-directory' | 'aws';

export interface Diagnosis {
  service?: Service;
  host?: string;
  cause?: FailureCause | 'in-use' | 'no-credentials';
  /** The sentence that says what happened. */
  summary: string;
  next: string[];
}

const SERVICES: Record<Service, { name: string; variable?: string }> = {
  'polygon-rpc': { name: 'the Polygon RPC provider', variable: 'POLYGON_RPC_URL' },
  subgraph: { name: 'the Polymarket subgraph', variable: 'POLYMARKET_SUBGRAPH_URL' },
  'clob-markets': { name: 'the CLOB market list', variable: 'POLYMARKET_MARKETS_URL' },
  'gamma-markets': { name: 'the Gamma market list', variable: 'POLYMARKET_GAMMA_URL' },
  clickhouse: { name: 'ClickHouse', variable: 'CLICKHOUSE_URL' },
  'data-directory': { name: 'the data directory', variable: 'SYNC_DATA_DIR' },
  aws: { name: 'AWS' },
};

const CAUSES: Record<FailureCause | 'in-use' | 'no-credentials', string> = {
  dns: 'cannot resolve the host name (no DNS answer: a typo in the URL, or no network)',
  'bad-port': 'this port is one fetch never connects to (ports such as 9, 25 or 110 are blocked for HTTP)',
  refused: 'connection refused (nothing listens at that address and port)',
  reset: 'the connection was dropped mid-request',
  timeout: 'timed out waiting for an answer',
  tls: 'TLS error (the certificate or the https handshake was refused)',
  unauthorized: 'HTTP 401: the request was not authorised (a missing or wrong key)',
  forbidden: 'HTTP 403: access refused (the key lacks permission, or the plan does not include this)',
  'rate-limited': 'HTTP 429: rate limited (more requests than the provider allows)',
  'range-refused': 'the provider refused an eth_getLogs block range even after splitting it',
  'auth-failed': 'authentication failed (wrong user or password)',
  'disk-full': 'the disk is full (no space left on device)',
  permission: 'permission denied on a file or directory',
  'server-error': 'the server answered with an error (HTTP 5xx)',
  'in-use': 'another polymarket-sync process is using it',
  'no-credentials': 'no credentials found (none in the environment, the shared AWS config, or an instance role)',
};

function chainHas(err: unknown, test: (e: unknown) => boolean): boolean {
  const seen = new Set<unknown>();
  for (let e = err; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (test(e)) return true;
  }
  return false;
}

/** The service an error came from: a source's mark, the chain source's error, or ClickHouse's. */
function serviceOf(err: unknown, { names, hosts }: Pick<ErrorFacts, 'names' | 'hosts'>): { service?: Service; host?: string } {
  const server = clickhouseHostOf(err);
  if (server !== undefined) return { service: 'clickhouse', host: server };
  const mark = sourceIdentityOf(err);
  if (mark) return { service: mark.service, ...(mark.host ? { host: mark.host } : {}) };
  if (names.includes('RpcCallError')) return { service: 'polygon-rpc' };
  // The AWS SDK's errors carry $metadata; its endpoints are *.amazonaws.com (a --stage command).
  const awsHost = hosts.find((h) => h.endsWith('.amazonaws.com'));
  if (awsHost || chainHas(err, (e) => typeof e === 'object' && e !== null && '$metadata' in e))
    return { service: 'aws', ...(awsHost ? { host: awsHost } : {}) };
  if (names.includes('ClickHouseError') || chainHas(err, (e) => e instanceof ClickHouseError)) return { service: 'clickhouse' };
  return {};
}

/**
 * What to run to get data, for the messages of an empty warehouse or state.
 * A command run without `--simulated` next to synced simulated data is most
 * likely missing the flag, so that comes first.
 */
export function getSomeData(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env, simulatedDir = SIMULATED_DATA_DIR): string[] {
  const simulatedElsewhere = !argv.includes('--simulated') && !env.SYNC_DATA_DIR && existsSync(join(simulatedDir, SIMULATED_WORLD_FILE));
  return [
    ...(simulatedElsewhere ? [`the simulated data is in ${simulatedDir}: add \`--simulated\` to this command`] : []),
    '`npm run sync -- --simulated` loads simulated data offline, in a minute',
    '`npm run sync` syncs from the real sources (`polymarket-sync doctor` checks them first)',
  ];
}

/** The database the engine says does not exist, if that is what an error says. */
export function missingDatabase(err: unknown): string | undefined {
  for (const m of errorFacts(err).messages) {
    const hit = /Database `?([\w.-]+)`? does not exist/.exec(m);
    if (hit) return hit[1];
  }
  return undefined;
}

export function diagnose(err: unknown): Diagnosis | null {
  const database = missingDatabase(err);
  if (database !== undefined) {
    return { summary: `there is no data yet: the database ${database} does not exist, nothing has been synced here`, next: getSomeData() };
  }
  if (err instanceof DataDirInUseError) {
    return {
      service: 'data-directory',
      cause: 'in-use',
      summary: `the data directory ${err.dataDir} is in use by another polymarket-sync process (pid ${err.pid}${err.command ? `: ${err.command}` : ''})`,
      next: [
        'wait for that command to finish, or stop it (Ctrl-C lets it close cleanly)',
        'or give this command a directory of its own with SYNC_DATA_DIR=<dir>',
      ],
    };
  }
  const facts = errorFacts(err);
  if (facts.names.includes('CredentialsProviderError')) {
    return { service: 'aws', cause: 'no-credentials', summary: `AWS: ${CAUSES['no-credentials']}`, next: nextSteps('aws', undefined) };
  }
  const cause = failureCause(facts);
  const { service, host = facts.hosts[0] } = serviceOf(err, facts);
  if (!cause && !service) return null;
  const summary = cause === 'disk-full' && !service ? CAUSES[cause] : whatFailed(service, host, cause, err);
  return { ...(service ? { service } : {}), ...(host ? { host } : {}), ...(cause ? { cause } : {}), summary, next: nextSteps(service, cause) };
}

/** `<service> at <host>: <the cause in words>`, or the error's own first line when its cause is not one we know. */
function whatFailed(service: Service | undefined, host: string | undefined, cause: FailureCause | undefined, err: unknown): string {
  const who = service ? SERVICES[service].name : 'a service';
  const where = host ? ` at ${host}` : '';
  return `${who}${where}: ${cause ? CAUSES[cause] : errorText(err)}`;
}

/** What a failed attempt at a source met, in the words of a fatal failure's summary (for the notices of retries). */
export function sourceTrouble(source: SourceIdentity, err: unknown): string {
  return whatFailed(source.service, source.host || undefined, failureCause(errorFacts(err)), err);
}

function nextSteps(service: Service | undefined, cause: FailureCause | undefined): string[] {
  const variable = service ? SERVICES[service].variable : undefined;
  const steps: string[] = [];
  if (cause === 'disk-full') steps.push('free some space, or point SYNC_DATA_DIR at a disk with room; a re-run resumes where this one stopped');
  else if (service === 'aws') {
    steps.push('set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and AWS_REGION for the account and region the stage is deployed in');
    steps.push('`aws sts get-caller-identity` shows which account those credentials reach; `npx cdk deploy PolymarketSync-<stage>` deploys a stage');
    return steps;
  } else if (service === 'clickhouse') {
    if (cause === 'auth-failed') steps.push('check CLICKHOUSE_USER and CLICKHOUSE_PASSWORD');
    else steps.push('check CLICKHOUSE_URL and that the server is up, or unset CLICKHOUSE_URL to use the embedded engine under SYNC_DATA_DIR');
  } else if (variable) {
    if (cause === 'rate-limited')
      steps.push(`lower the request rate (the *_REQUESTS_PER_SECOND settings), or use a plan or key with more allowance in ${variable}`);
    else if (cause === 'range-refused') steps.push(`set CHAIN_MAX_BLOCK_SPAN lower, or use a provider in ${variable} that serves wider eth_getLogs ranges`);
    else if (cause === 'unauthorized' || cause === 'forbidden') steps.push(`check the key in ${variable}`);
    else steps.push(`check ${variable} (set it to an endpoint this machine can reach)`);
  }
  if (service !== 'data-directory') steps.push('`polymarket-sync sync --simulated` tries the whole pipeline offline');
  steps.push('`polymarket-sync doctor` checks every source and the warehouse');
  return steps;
}

/** The message a command prints for a fatal error: the diagnosis, or one safe line; the stack only when verbose. */
export function failureMessage(command: string, err: unknown, verbose: boolean, detail: (err: unknown) => string = errorText): string {
  if (err instanceof ConfigError) return verbose ? `${err.message}\n${stackOf(err)}` : err.message;
  // Ctrl-C is the person's own doing: say what state it left, nothing more.
  if (err instanceof Error && err.name === 'PlanningInterruptedError') return `${command} stopped: ${err.message}`;
  const d = diagnose(err);
  const lines = d ? [`${command} failed: ${d.summary}`, ...d.next.map((s) => `  next: ${s}`)] : [`${command} failed: ${detail(err)}`];
  if (verbose) lines.push(stackOf(err));
  else if (!d && detail === errorText) lines.push('  (run again with --verbose for the whole error)');
  return lines.join('\n');
}

/** The stack of an error and of each cause, with URLs redacted (keys live in them). */
function stackOf(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let e = err; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
  }
  return redactUrls(parts.join('\ncaused by: '));
}

/**
 * Why a cycle that ran did not complete, from the last error a source threw
 * (its shards went to the dead-letter queue): the same diagnosis, and the
 * way back, since a re-run waits for the dead letters to be sent back.
 */
export function incompleteRunCause(err: unknown, deadLetters: number): string | null {
  const d = diagnose(err);
  if (!d) return null;
  const next =
    deadLetters > 0
      ? [...d.next.slice(0, 1), 'once fixed: `polymarket-sync redrive`, then `polymarket-sync sync` resumes the run', ...d.next.slice(1)]
      : d.next;
  return [`why: ${d.summary}`, ...next.map((s) => `  next: ${s}`)].join('\n');
}
