import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Context } from 'aws-lambda';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';
import { FILL_TIMES, STEP, activitySplits, insert, mutate, seedClean, SPARE_TOKEN } from './support/fixture.ts';
import { V2_COLLATERAL_ADAPTERS } from '#shared/sources/chain/events/addresses.ts';
import { RECENT_ACTIVITY_BLOCKS } from '#shared/ops/quality/probe.ts';

import { createMonitorHandler } from '#functions/handlers/monitor.ts';
import { createObservability, type Observability } from '#functions/handlers/observability.ts';
import type { Warehouse } from '#shared/ports/index.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { dynamoDocumentClient } from '#adapters/aws/clients.ts';

/** The monitor handler as Lambda runs it, against dynalite for its state and chDB for the warehouse. */
let client: ClickHouseClient;
let aws: LocalAws;
let state: DynamoStateStore;
let monitor: ReturnType<typeof createMonitorHandler>;
let observability: Observability;
let warehouse: () => Promise<Warehouse>;
const db = 'polymarket';
/** The first probe of an hour, the day after the fixture's newest fill. */
const TOP_OF_HOUR = Date.UTC(2026, 4, 7, 9, 1);

const context = { functionName: 'polymarket-sync-test-monitor', awsRequestId: 'req', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

beforeAll(async () => {
  client = embeddedClient(mkdtempSync(join(tmpdir(), 'pmsync-monitor-')));
  await seedClean(client, db);
  aws = await startLocalAws({});
  state = new DynamoStateStore(dynamoDocumentClient({ region: aws.region, endpoint: aws.dynamoEndpoint }), aws.table);
  // Handler logs and EMF output would drown the test report; the metrics are observed through a spy.
  observability = createObservability({ service: 'polymarket-sync', namespace: 'PolymarketSync', stage: 'test', logLevel: 'SILENT', publishMetrics: false });
  monitor = createMonitorHandler({ state, warehouse: () => warehouse(), ...observability });
});
afterAll(async () => {
  vi.useRealTimers();
  await aws?.stop();
  await client?.close();
});

let published: { name: string; value: number }[][];
beforeEach(() => {
  warehouse = async () => ({ client, database: db });
  vi.restoreAllMocks();
  // Each publishStoredMetrics closes a batch: what went out before the warehouse was asked, and what after.
  published = [[]];
  const metrics = observability.metrics;
  vi.spyOn(metrics, 'addMetric').mockImplementation((name: string, _unit, value: number) => {
    published.at(-1)!.push({ name, value });
    return metrics;
  });
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    published.push([]);
    return metrics;
  });
});

async function probeAt(ms: number) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ms);
  try {
    return await monitor({}, context);
  } finally {
    vi.useRealTimers();
  }
}
const names = (batch: { name: string }[] | undefined) => (batch ?? []).map((m) => m.name);
const value = (name: string) => published.flat().find((m) => m.name === name)?.value;

describe('monitor', () => {
  it('publishes freshness every probe, and the quality figures in the first probe of an hour', async () => {
    const quiet = await probeAt(TOP_OF_HOUR + 20 * 60_000);
    expect(quiet.quality).toBeNull();
    expect(names(published[0])).toEqual(['SecondsSinceLastLoad', 'NewestFillLagSeconds']);
    expect(published.flat()).toHaveLength(2);

    published = [[]];
    const probed = await probeAt(TOP_OF_HOUR);
    expect(names(published[0])).toEqual(['SecondsSinceLastLoad', 'NewestFillLagSeconds']);
    expect(names(published[1])).toEqual([
      'DailyFillsDropPercent',
      'UnmappedFillsPercent',
      'MappedTokens',
      'MappedTokensLost',
      'MisattributedActivityAddresses',
      'QualityProbeFailed',
    ]);
    expect(probed.quality).toMatchObject({
      comparedDay: '2026-05-05',
      dailyFillsDropPercent: 0,
      unmappedPercent: 0,
      mappedTokens: 5,
      mappedTokensLost: 0,
      misattributedAddresses: 0,
      errors: [],
    });
  });

  it('publishes a 60% drop in daily fills and a lost mapping', async () => {
    await mutate(
      client,
      `ALTER TABLE ${db}.fills DELETE WHERE toDate(timestamp) = '2026-05-05' AND intDiv(toUnixTimestamp(timestamp) - ${FILL_TIMES[0]}, ${STEP}) % 5 < 3`,
    );
    await mutate(client, `ALTER TABLE ${db}.token_claims DELETE WHERE token_id = toUInt256('${SPARE_TOKEN}')`);
    await probeAt(TOP_OF_HOUR + 3_600_000);
    expect(value('DailyFillsDropPercent')).toBeCloseTo(60, 6);
    expect(value('MappedTokens')).toBe(4);
    expect(value('MappedTokensLost')).toBe(1);
    expect(value('QualityProbeFailed')).toBe(0);
  });

  it('leaves the daily comparison out while a run is open (its loads arrive in any order)', async () => {
    await state.openRun({ runId: '20260507T110000Z-abcdef', status: 'enqueued', createdAt: TOP_OF_HOUR, sources: {}, shardCount: 1 });
    const r = await probeAt(TOP_OF_HOUR + 2 * 3_600_000);
    expect(r.quality).toMatchObject({ dailyFillsDropPercent: null, mappedTokensLost: 0 });
    expect(names(published[1])).toEqual(['UnmappedFillsPercent', 'MappedTokens', 'MappedTokensLost', 'MisattributedActivityAddresses', 'QualityProbeFailed']);
  });

  it('still publishes freshness when ClickHouse cannot be reached, and counts the failed probe', async () => {
    warehouse = async () => {
      throw new Error('connect ECONNREFUSED https://user:secret@clickhouse.example:8443');
    };
    const r = await probeAt(TOP_OF_HOUR + 3 * 3_600_000);
    expect(r.quality).toBeNull();
    expect(names(published[0])).toEqual(['SecondsSinceLastLoad', 'NewestFillLagSeconds']);
    expect(published[1]).toEqual([{ name: 'QualityProbeFailed', value: 1 }]);
  });

  it('counts addresses credited with activity that is not theirs: known adapters ever, look-alikes in the last week of blocks', async () => {
    const newest = 90_000_000 + Number(RECENT_ACTIVITY_BLOCKS) * 2;
    const lookAlike = `0x${'ad'.repeat(20)}`;
    const oldLookAlike = `0x${'ae'.repeat(20)}`;
    const stageAdapter = `0x${'af'.repeat(20)}`;
    await insert(client, `${db}.activity`, [
      ...activitySplits(V2_COLLATERAL_ADAPTERS[2]!, 2, { tag: 1, firstBlock: 90_000_000 }),
      ...activitySplits(oldLookAlike, 60, { tag: 2, firstBlock: 90_000_100 }),
      ...activitySplits(lookAlike, 60, { tag: 3, firstBlock: newest - 1_000 }),
      ...activitySplits(stageAdapter, 1, { tag: 4, firstBlock: newest }),
    ]);
    const r = await probeAt(TOP_OF_HOUR + 30 * 3_600_000);
    expect(r.quality).toMatchObject({ misattributedAddresses: 2, misattributed: [V2_COLLATERAL_ADAPTERS[2], lookAlike] });
    expect(value('MisattributedActivityAddresses')).toBe(2);

    // The stage's CHAIN_ADAPTERS are known too.
    const configured = createMonitorHandler({ state, warehouse: () => warehouse(), chain: { adapters: [stageAdapter] }, ...observability });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(TOP_OF_HOUR + 31 * 3_600_000);
    try {
      const c = await configured({}, context);
      expect(c.quality?.misattributed).toEqual([V2_COLLATERAL_ADAPTERS[2], stageAdapter, lookAlike]);
    } finally {
      vi.useRealTimers();
    }
    await mutate(client, `ALTER TABLE ${db}.activity DELETE WHERE 1`);
  });

  it('publishes what it could measure when one part fails', async () => {
    await client.command({ query: `DROP TABLE ${db}.quality_snapshots` });
    const r = await probeAt(TOP_OF_HOUR + 4 * 3_600_000);
    expect(r.quality?.errors).toEqual([expect.stringMatching(/^mapping count: /)]);
    expect(names(published[1])).toContain('UnmappedFillsPercent');
    expect(value('QualityProbeFailed')).toBe(1);
  });
});

/**
 * What NewestFillLagSeconds measures: the age of the newest fill the loader has
 * loaded from any source (now − its trade time), from the loader's heartbeat
 * in the state table. It is not a lag behind a source head: the monitor asks
 * no source (see docs/OPERATIONS.md, fill-lag).
 */
describe('monitor freshness figures', () => {
  const NEVER_LOADED_SECONDS = 10 * 365 * 24 * 3600;
  /** Twenty minutes past an hour: a freshness-only probe. */
  const at = (hours: number) => TOP_OF_HOUR + hours * 3_600_000 + 20 * 60_000;

  it('publishes a breaching age for both figures before the first load', async () => {
    const empty = { getLoadHeartbeat: async () => null } as unknown as DynamoStateStore;
    const fresh = createMonitorHandler({ state: empty, warehouse: () => warehouse(), ...observability });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(at(10));
    try {
      const r = await fresh({}, context);
      expect(r.freshness).toEqual({ secondsSinceLastLoad: null, newestFillLagSeconds: null });
    } finally {
      vi.useRealTimers();
    }
    expect(published[0]).toEqual([
      { name: 'SecondsSinceLastLoad', value: NEVER_LOADED_SECONDS },
      { name: 'NewestFillLagSeconds', value: NEVER_LOADED_SECONDS },
    ]);
  });

  it("publishes now − the newest loaded fill's time over every source, and now − the last load", async () => {
    const lastLoadAt = at(11) - 90_000;
    const newestChainFill = Math.floor(at(11) / 1000) - 7_200;
    await state.recordLoad(lastLoadAt, { subgraph: newestChainFill - 86_400, chain: newestChainFill });
    const r = await probeAt(at(11));
    expect(r.freshness).toEqual({ secondsSinceLastLoad: 90, newestFillLagSeconds: 7_200 });
    expect(published[0]).toEqual([
      { name: 'SecondsSinceLastLoad', value: 90 },
      { name: 'NewestFillLagSeconds', value: 7_200 },
    ]);
  });

  it('keeps the newest fill when a later load (a replay, a late object) carries older fills', async () => {
    const newest = (await state.getLoadHeartbeat())!.newestFill.chain!;
    await state.recordLoad(at(12) - 10_000, { chain: newest - 500_000 });
    const r = await probeAt(at(12));
    expect(r.freshness).toEqual({ secondsSinceLastLoad: 10, newestFillLagSeconds: Math.round(at(12) / 1000 - newest) });
  });

  it('grows with the clock while nothing is loaded, so a stalled sync shows as a rising number', async () => {
    const before = (await probeAt(at(13))).freshness;
    const after = (await probeAt(at(14))).freshness;
    expect(after.secondsSinceLastLoad! - before.secondsSinceLastLoad!).toBe(3_600);
    expect(after.newestFillLagSeconds! - before.newestFillLagSeconds!).toBe(3_600);
  });
});
