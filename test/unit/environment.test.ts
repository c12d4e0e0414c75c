import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config.ts';
import {
  observabilityFromEnvironment,
  pipelineFromEnvironment,
  plannerFromEnvironment,
  sourcesFromEnvironment,
  warehouseFromEnvironment,
} from '#functions/environment.ts';

/** What a Lambda entry builds at cold start, from nothing but its environment. */
describe('building the handlers’ dependencies from the environment', () => {
  const resources = {
    SHARD_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/shards',
    LOAD_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/loads',
    STAGING_BUCKET: 'polymarket-sync-test-staging',
    STATE_TABLE: 'polymarket-sync-test-state',
  };

  it('names every missing resource setting at once', () => {
    expect(() => pipelineFromEnvironment({})).toThrow(ConfigError);
    expect(() => pipelineFromEnvironment({})).toThrow(/SHARD_QUEUE_URL.*LOAD_QUEUE_URL.*STAGING_BUCKET.*STATE_TABLE/);
    expect(pipelineFromEnvironment(resources).pagesPerObject).toBe(20);
  });

  it('gives the planner the fetchers’ concurrency (FETCHER_CONCURRENCY) to size shards by, and refuses a wrong one by name', () => {
    expect(plannerFromEnvironment({ FETCHER_CONCURRENCY: '8' })).toEqual({ fetcherConcurrency: 8 });
    expect(plannerFromEnvironment({ FETCHER_CONCURRENCY: '0' })).toEqual({ fetcherConcurrency: 0 });
    expect(plannerFromEnvironment({})).toEqual({});
    expect(() => plannerFromEnvironment({ FETCHER_CONCURRENCY: '2.5' })).toThrow(/FETCHER_CONCURRENCY is invalid/);
  });

  it('refuses a loader without a warehouse, and connects once when it has one', async () => {
    expect(() => warehouseFromEnvironment({})).toThrow(/CLICKHOUSE_URL or CLICKHOUSE_SECRET_ARN/);
    const provider = warehouseFromEnvironment({ CLICKHOUSE_URL: 'http://127.0.0.1:9', CLICKHOUSE_DATABASE: 'analytics' });
    const first = await provider();
    expect(first.database).toBe('analytics');
    expect(await provider()).toBe(first);
    await first.client.close();
  });

  it('applies the https rule to the ClickHouse URL from the environment and from the secret alike, without echoing the secret', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:polymarket-sync/test/clickhouse-AbCdEf';
    expect(() => warehouseFromEnvironment({ CLICKHOUSE_URL: 'http://ch.example.com:8123' })).toThrow(/CLICKHOUSE_URL is invalid \(must be https/);
    const plain = warehouseFromEnvironment({ CLICKHOUSE_SECRET_ARN: arn }, async () => ({
      url: 'http://ch.example.com:8123',
      username: 'sync',
      password: 'hunter2-secret',
    }));
    const refused = await plain().then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toMatch(/^CLICKHOUSE_SECRET_ARN secret is invalid: url must be https \(plain http only for localhost/);
    expect((refused as Error).message).not.toMatch(/hunter2|ch\.example\.com/);
    const missing = await warehouseFromEnvironment({ CLICKHOUSE_SECRET_ARN: arn }, async () => ({ url: 'https://ch.example.com:8443' }))().catch(
      (e: unknown) => e,
    );
    expect((missing as Error).message).toBe('CLICKHOUSE_SECRET_ARN secret is invalid: needs JSON fields username, password');
    const https = await warehouseFromEnvironment({ CLICKHOUSE_SECRET_ARN: arn }, async () => ({
      url: 'https://ch.example.com:8443',
      username: 'sync',
      password: 'x',
    }))();
    expect(https.database).toBe('polymarket');
    await https.client.close();
  });

  it('reads the sources a deployment enables, and refuses a wrong one by name', () => {
    expect(Object.keys(sourcesFromEnvironment({ SYNC_SOURCES: 'markets' }))).toEqual(['markets']);
    expect(() => sourcesFromEnvironment({ SYNC_SOURCES: 'markets,nowhere' })).toThrow(/SYNC_SOURCES/);
  });

  it('tags metrics with the stage and refuses a malformed one', () => {
    expect(() => observabilityFromEnvironment({ SYNC_STAGE: 'Prod!' })).toThrow(/SYNC_STAGE/);
    const { metrics } = observabilityFromEnvironment({ SYNC_STAGE: 'prod', POWERTOOLS_METRICS_NAMESPACE: 'Elsewhere' });
    metrics.addMetric('ObjectsLoaded', 'Count', 1);
    const emf = metrics.serializeMetrics();
    metrics.clearMetrics();
    expect(emf).toMatchObject({ Stage: 'prod', service: 'polymarket-sync', _aws: { CloudWatchMetrics: [{ Namespace: 'Elsewhere' }] } });
  });
});
