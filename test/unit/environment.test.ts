import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config.ts';
import { observabilityFromEnvironment, pipelineFromEnvironment, sourcesFromEnvironment, warehouseFromEnvironment } from '#functions/environment.ts';

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

  it('refuses a loader without a warehouse, and connects once when it has one', async () => {
    expect(() => warehouseFromEnvironment({})).toThrow(/CLICKHOUSE_URL or CLICKHOUSE_SECRET_ARN/);
    const provider = warehouseFromEnvironment({ CLICKHOUSE_URL: 'http://127.0.0.1:9', CLICKHOUSE_DATABASE: 'analytics' });
    const first = await provider();
    expect(first.database).toBe('analytics');
    expect(await provider()).toBe(first);
    await first.client.close();
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
