import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DLQ_RETENTION_DAYS, ENVIRONMENTS, parseEnvironmentConfig, ratePeriodSeconds, type EnvironmentConfigInput } from '#infra/environments.ts';
import { addStages } from '#infra/stages.ts';
import { Template } from 'aws-cdk-lib/assertions';
import { chainAdaptersEnvironment, sourcePacingEnvironment } from '#infra/source-environment.ts';

const dev = ENVIRONMENTS.find((e) => e.stage === 'dev')!;

/** A copy of dev with some fields replaced (one level deep merge for the nested groups). */
function devWith(patch: Record<string, unknown>): EnvironmentConfigInput {
  const out: Record<string, unknown> = structuredClone(dev) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' ? { ...cur, ...v } : v;
  }
  return out as unknown as EnvironmentConfigInput;
}

/** Adding the stages is the first thing synth does; a bad configuration must stop it there. */
function synthFails(env: EnvironmentConfigInput): string {
  try {
    addStages(new App(), [env], { nag: false });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('environment configuration', () => {
  it('defines dev, staging and prod, each valid, with distinct stages and accounts', () => {
    const parsed = ENVIRONMENTS.map((e) => parseEnvironmentConfig(e));
    expect(parsed.map((c) => c.stage)).toEqual(['dev', 'staging', 'prod']);
    expect(new Set(parsed.map((c) => c.account)).size).toBe(3);
  });

  it('fills in the defaults: every 6 hours, all sources, loader concurrency 2', () => {
    const c = parseEnvironmentConfig(dev);
    expect(c.schedule).toBe('rate(6 hours)');
    expect(c.sources.enabled).toEqual(['markets', 'chain']);
    expect(c.loader.maxConcurrency).toBe(2);
    expect(c.clickhouse.database).toBe('polymarket');
    expect(ratePeriodSeconds(c.schedule)).toBe(6 * 3600);
  });

  it.each([
    ['fetcher maxConcurrency 1', { fetcher: { maxConcurrency: 1 } }, /fetcher\.maxConcurrency/],
    ['fetcher maxConcurrency 1001', { fetcher: { maxConcurrency: 1001 } }, /fetcher\.maxConcurrency/],
    [
      'reserved concurrency below maxConcurrency',
      { fetcher: { maxConcurrency: 10, reservedConcurrency: 5 } },
      /fetcher\.reservedConcurrency: must be at least fetcher\.maxConcurrency/,
    ],
    ['staged-object retention of 3 days', { retention: { stagedObjectDays: 3 } }, /retention\.stagedObjectDays: must exceed the 14-day DLQ retention/],
    ['staged-object retention equal to the DLQ retention', { retention: { stagedObjectDays: DLQ_RETENTION_DAYS } }, /retention\.stagedObjectDays/],
    ['a log retention CloudWatch does not offer', { retention: { stagedObjectDays: 30, logDays: 10 } }, /retention\.logDays/],
    ['a bad account id', { account: '1234' }, /account: must be a 12-digit AWS account id/],
    ['a bad region', { region: 'mars-1' }, /region/],
    ['a bad schedule', { schedule: 'every 6 hours' }, /schedule: must be an EventBridge schedule expression/],
    ['a staleness threshold within the schedule period', { alarms: { staleAfterSeconds: 3600 } }, /alarms\.staleAfterSeconds: must exceed the schedule period/],
    ['a bad alarm email', { alarms: { emails: ['not-an-email'] } }, /alarms\.emails\.0/],
    ['an unknown source', { sources: { enabled: ['ftp'] } }, /sources\.enabled\.0/],
    ['an http source URL', { sources: { subgraphUrl: 'http://example.com' } }, /sources\.subgraphUrl/],
    [
      'a secret ARN from another account',
      { clickhouse: { secret: { from: 'arn', arn: 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:x-AbCdEf' } } },
      /clickhouse\.secret\.arn: must be in the environment's own account and region/,
    ],
    ['a malformed secret ARN', { clickhouse: { secret: { from: 'arn', arn: 'arn:aws:s3:::bucket' } } }, /clickhouse\.secret\.arn/],
    ['an unknown field (typo)', { fetcher: { maxConcurency: 4 } }, /fetcher/],
    ['a zero source allowance', { sources: { requestsPerSecond: { subgraph: 0 } } }, /sources\.requestsPerSecond\.subgraph: must be a positive number/],
    ['a negative source allowance', { sources: { requestsPerSecond: { chain: -5 } } }, /sources\.requestsPerSecond\.chain/],
    ['an allowance for an unknown source', { sources: { requestsPerSecond: { ftp: 5 } } }, /sources\.requestsPerSecond/],
    ['a collateral adapter that is not an address', { sources: { chainAdapters: ['0xada1'] } }, /sources\.chainAdapters\.0: must be a 0x address/],
    ['an empty list of collateral adapters', { sources: { chainAdapters: [] } }, /sources\.chainAdapters: must name at least one adapter/],
  ])('refuses %s, naming the field', (_label, patch, message) => {
    const err = synthFails(devWith(patch));
    expect(err).toMatch(/^Invalid configuration for environment "dev": /);
    expect(err).toMatch(message);
  });

  it('refuses two environments with the same stage', () => {
    expect(() => addStages(new App(), [dev, dev], { nag: false })).toThrow(/stage "dev" is defined twice/);
  });

  it('gives the source-calling functions each allowance and the fetcher cap that splits it', () => {
    const paced = parseEnvironmentConfig(devWith({ sources: { requestsPerSecond: { subgraph: 5, chain: 25 } }, fetcher: { maxConcurrency: 4 } }));
    expect(sourcePacingEnvironment(paced)).toEqual({
      SUBGRAPH_REQUESTS_PER_SECOND: '5',
      CHAIN_REQUESTS_PER_SECOND: '25',
      SOURCE_RATE_SHARED_BY: '4',
    });
    // No allowance configured: nothing is paced, as before.
    expect(sourcePacingEnvironment(parseEnvironmentConfig(dev))).toEqual({ SOURCE_RATE_SHARED_BY: '2' });
  });

  it("gives a stage's collateral adapters to the functions that read the chain and to the monitor, and nothing when unset", () => {
    const adapters = ['0xADA100874d00e3331D00F2007a9c336a65009718', '0xada3000000000000000000000000000000000003'];
    const config = devWith({ sources: { chainAdapters: adapters } });
    expect(chainAdaptersEnvironment(parseEnvironmentConfig(config))).toEqual({ CHAIN_ADAPTERS: adapters.map((a) => a.toLowerCase()).join(',') });
    expect(chainAdaptersEnvironment(parseEnvironmentConfig(dev))).toEqual({});

    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const [stack] = addStages(app, [config], { nag: false });
    const fns = Object.values(Template.fromStack(stack!).findResources('AWS::Lambda::Function')) as {
      Properties: { FunctionName?: string; Environment?: { Variables?: Record<string, unknown> } };
    }[];
    const adaptersOf = (name: string) =>
      fns.find((f) => f.Properties.FunctionName === `polymarket-sync-dev-${name}`)!.Properties.Environment!.Variables!.CHAIN_ADAPTERS;
    for (const name of ['planner', 'fetcher', 'monitor']) expect(adaptersOf(name), name).toBe(adapters.map((a) => a.toLowerCase()).join(','));
    expect(adaptersOf('loader')).toBeUndefined();
  });

  it('accepts reserved concurrency equal to maxConcurrency', () => {
    expect(parseEnvironmentConfig(devWith({ fetcher: { maxConcurrency: 10, reservedConcurrency: 10 } })).fetcher.reservedConcurrency).toBe(10);
  });
});
