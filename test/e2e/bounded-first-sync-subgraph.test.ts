import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedSources, type Dataset, type SimulatedSources } from '#simulator/index.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { dynamoDocumentClient } from '#adapters/aws/clients.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { FULL_HISTORY_FROM } from '#shared/ops/bounded-first-sync.ts';
import { parseSince, type SincePoint } from '#shared/ops/window.ts';
import { beforeCycle } from '#local/cli/first-sync.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';

const V1_EXCHANGES = new Set(['0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e', '0xc5d563a36ae78145c45a50134d48a1215220f80a']);

/**
 * The same path with V1 history from the subgraph (whose watermark and
 * window are times) beside the chain: `--since` falls on the second of a
 * subgraph fill, the one boundary where an off-by-one would load it twice
 * or never. The backfill must load exactly the rest.
 */
describe('a bounded first sync with the subgraph enabled', () => {
  let world: ChainWorld;
  let dataset: Dataset;
  let sim: SimulatedSources;
  let p: TestPipeline;
  let state: DynamoStateStore;
  let env: Record<string, string>;
  let since: SincePoint;

  beforeAll(async () => {
    world = await startChainWorld({ seed: 12, v1: { fills: 600 }, v2: { fills: 300 } });
    dataset = world.subgraphDataset();
    sim = await startSimulatedSources({ dataset });
    env = { ...sim.env, ...world.env, SYNC_SOURCES: 'markets,subgraph,chain', CHAIN_V1_FILLS: 'false' };
    p = await startTestPipeline(env);
    state = new DynamoStateStore(dynamoDocumentClient({ region: p.aws.region, endpoint: p.aws.dynamoEndpoint }), p.aws.table);
    const times = dataset.fills.map((f) => f.timestamp).sort((a, b) => a - b);
    since = parseSince(new Date(times[Math.floor(times.length / 2)]! * 1000).toISOString(), Date.now());
  });
  afterAll(async () => {
    await p?.close();
    await sim?.close();
    await world?.close();
  });

  const bySource = () =>
    p.one<{ n: string; final: string; distinct: string; subgraph: string; chain: string }>(
      `SELECT count() AS n, (SELECT count() FROM ${p.database}.fills FINAL) AS final, uniqExact(fill_id) AS distinct,
              countIf(source = 'subgraph') AS subgraph, countIf(source = 'chain') AS chain FROM ${p.database}.fills`,
    );
  const v2Fills = () => world.expected.fills.filter((f) => !V1_EXCHANGES.has(f.exchange)).length;

  it('loads the subgraph fills after --since and the chain from its block, and sets both watermarks to the head', async () => {
    const { start } = await beforeCycle({ aws: p.aws, env, since, log: () => undefined });
    expect(start).toMatchObject({ outcome: 'started', startingPoints: { subgraph: String(since.unixSeconds) } });
    const atSince = dataset.fills.filter((f) => f.timestamp === since.unixSeconds).length;
    expect(atSince).toBeGreaterThan(0);
    const result = await p.cycle();
    expect(result.reason).toBeUndefined();
    const after = dataset.fills.filter((f) => f.timestamp > since.unixSeconds).length;
    const n = String(after + v2Fills());
    expect(await bySource()).toEqual({ n, final: n, distinct: n, subgraph: String(after), chain: String(v2Fills()) });
    const watermarks = await state.getWatermarks();
    expect(Number(watermarks.subgraph?.value)).toBeGreaterThanOrEqual(Math.max(...dataset.fills.map((f) => f.timestamp)));
    expect(watermarks.chain?.value).toBe(String(world.eras.v2.toBlock));
  });

  it('the backfill --to <since> loads the fills at and before --since, each once, and keeps the watermarks', async () => {
    const before = await state.getWatermarks();
    const result = await p.cycle({ window: { from: FULL_HISTORY_FROM, to: since.iso } });
    expect(result.reason).toBeUndefined();
    expect(result.counters.FillsAlreadyLoaded).toBe(0);
    const n = String(dataset.fills.length + v2Fills());
    expect(await bySource()).toEqual({ n, final: n, distinct: n, subgraph: String(dataset.fills.length), chain: String(v2Fills()) });
    const after = await state.getWatermarks();
    expect({ subgraph: after.subgraph?.value, chain: after.chain?.value }).toEqual({ subgraph: before.subgraph?.value, chain: before.chain?.value });
  });
});
