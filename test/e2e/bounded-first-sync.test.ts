import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedSources, type SimulatedSources } from '#simulator/index.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { dynamoDocumentClient, sqsClient } from '#adapters/aws/clients.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { SqsLoadQueue, SqsShardQueue } from '#adapters/aws/sqs-queues.ts';
import { readSettings, SOURCE_SETTINGS } from '#shared/config.ts';
import { startBoundedFirstSync, FULL_HISTORY_FROM, type BoundedStartDeps } from '#shared/ops/bounded-first-sync.ts';
import { parseSince, type SincePoint } from '#shared/ops/window.ts';
import { chainClockFromSettings } from '#shared/sources/chain/block-at-time.ts';
import { buildSources } from '#shared/sources/registry.ts';
import { beforeCycle } from '#local/cli/first-sync.ts';
import { referencePositions, type ReferencePosition } from '#test/support/reference-pnl.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';

/**
 * A first sync bounded by `--since` (through what `sync` runs before its
 * cycle: the estimate, then the starting points), then a scheduled run, then the full
 * backfill of the history before `since`: the warehouse ends with exactly
 * the world's fills and activity (each once, before and after merges), the
 * watermark stands at the head throughout, and positions equal the
 * reference once history is whole.
 */
describe('a bounded first sync (sync --since), a scheduled run, then the full backfill', () => {
  let world: ChainWorld;
  let sim: SimulatedSources;
  let p: TestPipeline;
  let deps: BoundedStartDeps;
  let state: DynamoStateStore;
  let since: SincePoint;
  /** The first block at or after `since`, from the world's own record of its blocks. */
  let sinceBlock: number;
  let env: Record<string, string>;

  beforeAll(async () => {
    world = await startChainWorld({ seed: 11, v1: { fills: 500, activity: 60 }, v2: { fills: 500, activity: 60 } });
    sim = await startSimulatedSources({ dataset: world.subgraphDataset() });
    env = { ...sim.env, ...world.env, SYNC_SOURCES: 'markets,chain' };
    p = await startTestPipeline(env);
    const region = { region: p.aws.region };
    state = new DynamoStateStore(dynamoDocumentClient({ ...region, endpoint: p.aws.dynamoEndpoint }), p.aws.table);
    const sqs = sqsClient({ ...region, endpoint: p.aws.sqsEndpoint });
    const settings = readSettings(SOURCE_SETTINGS, env);
    deps = {
      state,
      shardQueue: new SqsShardQueue(sqs, p.aws.shardQueueUrl),
      loadQueue: new SqsLoadQueue(sqs, p.aws.loadQueueUrl, p.aws.bucket),
      sources: buildSources(settings),
      chain: chainClockFromSettings(settings),
    };
    // Half-way through the V2 era, at a block with fills: block times strictly increase, so that block is the first at or after the instant.
    const fills = [...world.expected.fills].sort((a, b) => a.block_number - b.block_number);
    const middle = fills.filter((f) => f.block_number >= world.eras.v2.fromBlock)[250]!;
    since = parseSince(new Date(middle.timestamp * 1000).toISOString(), Date.now());
    sinceBlock = middle.block_number;
    expect(fills.filter((f) => f.block_number < sinceBlock).every((f) => f.timestamp < since.unixSeconds)).toBe(true);
  });
  afterAll(async () => {
    await p?.close();
    await sim?.close();
    await world?.close();
  });

  const db = () => p.database;
  const chainWatermark = async () => (await state.getWatermarks()).chain?.value;
  const totals = () =>
    p.one<{ n: string; final: string; distinct: string }>(
      `SELECT count() AS n, (SELECT count() FROM ${db()}.fills FINAL) AS final, uniqExact(fill_id) AS distinct FROM ${db()}.fills`,
    );
  const fillIds = async () => (await p.rows<{ fill_id: string }>(`SELECT fill_id FROM ${db()}.fills ORDER BY fill_id`)).map((r) => r.fill_id);
  const activityIds = async () => (await p.rows<{ event_id: string }>(`SELECT event_id FROM ${db()}.activity FINAL ORDER BY event_id`)).map((r) => r.event_id);
  const sorted = (xs: string[]) => [...xs].sort();

  it('shows the estimate of the bounded sync, then records the starting point as the watermark: the block before the first block at or after --since', async () => {
    const lines: string[] = [];
    const { estimate, start } = await beforeCycle({ aws: p.aws, env, since, log: (line) => lines.push(line) });
    // The estimate covers exactly the blocks the bounded sync reads.
    expect(estimate?.blocks).toBe(world.eras.v2.toBlock - sinceBlock + 1);
    expect(lines.join('\n')).toMatch(/what this sync will fetch/);
    expect(lines.join('\n')).toContain(`reading the chain from block ${sinceBlock} up to the head`);
    expect(lines.join('\n')).toContain(`npm run sync -- --from ${FULL_HISTORY_FROM} --to ${since.iso}`);
    expect(start).toMatchObject({
      outcome: 'started',
      startingPoints: { chain: String(sinceBlock - 1) },
      kept: {},
      wholeHistory: [],
      backfill: { from: FULL_HISTORY_FROM, to: since.iso },
    });
    expect(await chainWatermark()).toBe(String(sinceBlock - 1));
    expect(await state.getOpenRunId()).toBeNull();
    // The run that recorded it planned nothing.
    if (start?.outcome !== 'started') throw new Error('not started');
    expect(await state.getRun(start.runId)).toMatchObject({
      status: 'complete',
      shardCount: 0,
      sources: { chain: { target: String(sinceBlock - 1), shards: 0 } },
    });
  });

  it('the first run loads exactly the history from --since to the head, and moves the watermark to the head', async () => {
    const result = await p.cycle();
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    const want = world.expected.fills.filter((f) => f.block_number >= sinceBlock);
    expect(want.length).toBeGreaterThan(100);
    expect(world.expected.fills.length - want.length).toBeGreaterThan(100);
    expect(await totals()).toEqual({ n: String(want.length), final: String(want.length), distinct: String(want.length) });
    expect(await fillIds()).toEqual(sorted(want.map((f) => f.fill_id)));
    expect(await activityIds()).toEqual(sorted(world.expected.activity.filter((a) => a.block_number >= sinceBlock).map((a) => a.event_id)));
    expect(await chainWatermark()).toBe(String(world.eras.v2.toBlock));
  });

  it('running the same --since again changes nothing: the source has its watermark', async () => {
    expect(await startBoundedFirstSync(deps, since, 'test')).toMatchObject({ outcome: 'nothing-to-start', kept: { chain: String(world.eras.v2.toBlock) } });
    expect(await chainWatermark()).toBe(String(world.eras.v2.toBlock));
  });

  it('a scheduled run continues from the head: new blocks only, no gap', async () => {
    const range = await world.extend({ seed: 5 });
    const result = await p.cycle();
    expect(result.ok).toBe(true);
    const newFills = world.expected.fills.filter((f) => f.block_number >= range.fromBlock).length;
    expect(newFills).toBeGreaterThan(0);
    expect(result.fillsAdded).toBe(newFills);
    const want = world.expected.fills.filter((f) => f.block_number >= sinceBlock);
    expect(await fillIds()).toEqual(sorted(want.map((f) => f.fill_id)));
    expect(await chainWatermark()).toBe(String(range.toBlock));
  });

  it('the full backfill --from <the beginning> --to <since> loads exactly what is missing, once, keeps the watermark, and rebuilds positions to the reference', async () => {
    const head = await chainWatermark();
    const result = await p.cycle({ window: { from: FULL_HISTORY_FROM, to: since.iso } });
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    const e = world.expected;
    expect(result.fillsAdded).toBe(e.fills.filter((f) => f.block_number < sinceBlock).length);
    // The backfill's range ends right before the first block the bounded sync read: nothing fetched twice.
    expect(result.counters.FillsAlreadyLoaded).toBe(0);
    const n = String(e.fills.length);
    expect(await totals()).toEqual({ n, final: n, distinct: n });
    expect(await fillIds()).toEqual(sorted(e.fills.map((f) => f.fill_id)));
    expect(await activityIds()).toEqual(sorted(e.activity.map((a) => a.event_id)));
    expect(await chainWatermark()).toBe(head);
    // Proxies seen again after --since were loaded first at a later call; the backfill brings their creation, which the table keeps.
    const wallets = await p.rows<Record<string, unknown>>(
      `SELECT proxy, owner, toString(kind) AS kind, factory, toUInt32(block_number) AS block_number, transaction_hash FROM ${db()}.wallets FINAL ORDER BY proxy`,
    );
    expect(wallets).toEqual(e.wallets);
    expect(e.wallets.some((w) => w.block_number < sinceBlock)).toBe(true);

    const expected = referencePositions({ fills: e.fills, activity: e.activity, conditions: e.conditions, neg_risk_questions: e.negRiskQuestions });
    const rows = await p.rows<ReferencePosition>(
      `SELECT wallet, toString(token_id) AS token_id, toString(amount) AS amount, toString(avg_price) AS avg_price,
              toString(realized_pnl) AS realized_pnl, toString(total_bought) AS total_bought FROM ${db()}.positions FINAL`,
    );
    expect(new Map(rows.map((r) => [`${r.wallet}|${r.token_id}`, r]))).toEqual(expected);
  });

  it('a scheduled run after the backfill adds nothing', async () => {
    const before = await totals();
    const result = await p.cycle();
    expect(result.ok).toBe(true);
    expect(result.fillsAdded).toBe(0);
    expect(await totals()).toEqual(before);
  });
});
