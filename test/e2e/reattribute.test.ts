import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedSources, type SimulatedSources } from '#simulator/index.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { referencePositions, type ReferencePosition } from '#test/support/reference-pnl.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';
import { runChecks } from '#shared/ops/quality/run.ts';
import type { AttributionDetails } from '#shared/ops/quality/attribution.ts';

/**
 * The collateral adapters are configuration (public sources disagree on
 * them, and Polymarket may add one). A first sync that does not know one
 * credits its users' splits, merges and redemptions to the adapter itself.
 * The operator adds it to CHAIN_ADAPTERS and replays the window: the
 * activity then belongs to the real wallets, each event once, and positions
 * equal the method applied to the world's true events.
 */
describe('correcting the collateral adapters with a replay', () => {
  let world: ChainWorld;
  let sim: SimulatedSources;
  let p: TestPipeline;

  beforeAll(async () => {
    world = await startChainWorld({ seed: 6, v1: { fills: 400, activity: 40 }, v2: { fills: 600, activity: 120 } });
    sim = await startSimulatedSources({ dataset: world.subgraphDataset() });
    // The first syncs know only the standard markets' adapter.
    p = await startTestPipeline({ ...sim.env, ...world.env, SYNC_SOURCES: 'markets,chain', CHAIN_ADAPTERS: world.adapters.ctf });
  });
  afterAll(async () => {
    await p?.close();
    await sim?.close();
    await world?.close();
  });

  const db = () => p.database;
  const activity = () => p.rows<{ event_id: string; wallet: string }>(`SELECT event_id, wallet FROM ${db()}.activity FINAL ORDER BY event_id`);
  const byId = (a: { event_id: string }, b: { event_id: string }) => (a.event_id < b.event_id ? -1 : 1);
  const truth = () => world.expected.activity.map((a) => ({ event_id: a.event_id, wallet: a.wallet })).sort(byId);
  const positions = async () => {
    const rows = await p.rows<ReferencePosition>(
      `SELECT wallet, toString(token_id) AS token_id, toString(amount) AS amount, toString(avg_price) AS avg_price,
              toString(realized_pnl) AS realized_pnl, toString(total_bought) AS total_bought FROM ${db()}.positions FINAL`,
    );
    return new Map(rows.map((r) => [`${r.wallet}|${r.token_id}`, r]));
  };
  /** `npm run check`'s attribution check, with the adapters the sync ran with. */
  const attribution = async (adapters: string[]) => {
    const report = await runChecks(
      { client: p.client, database: db() },
      { chain: { genesis: 0n, watermark: null }, record: null, only: ['attribution'], adapters },
    );
    const [c] = report.checks;
    return { status: c!.status, details: c!.details as AttributionDetails };
  };
  const reference = () => {
    const e = world.expected;
    return referencePositions({ fills: e.fills, activity: e.activity, conditions: e.conditions, neg_risk_questions: e.negRiskQuestions });
  };

  it('without the NegRisk adapter configured, its users’ activity goes to the adapter', async () => {
    const result = await p.cycle();
    expect(result.ok).toBe(true);
    const loaded = await activity();
    expect(loaded.map((a) => a.event_id)).toEqual(truth().map((a) => a.event_id));
    const misplaced = loaded.filter((a) => a.wallet === world.adapters.negRisk);
    expect(misplaced.length).toBeGreaterThan(5);
    expect(await positions()).not.toEqual(reference());
    // `check`, at its default threshold, sees an address that never traded credited with the activity of many transactions.
    const check = await attribution([world.adapters.ctf]);
    expect(check.status).toBe('warn');
    expect(check.details.suspects.map((s) => s.address)).toEqual([world.adapters.negRisk]);
    expect(check.details.suspects[0]!.events).toBe(misplaced.length);
  });

  it('a replay of the V2 era with the adapter added credits every event to its wallet, each once, and positions follow', async () => {
    const from = new Date(Math.min(...world.expected.fills.filter((f) => f.block_number >= world.eras.v2.fromBlock).map((f) => f.timestamp)) * 1000);
    const result = await p.cycle({
      window: { from: new Date(from.getTime() - 60_000).toISOString() },
      env: { CHAIN_ADAPTERS: `${world.adapters.ctf},${world.adapters.negRisk}` },
    });
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.counters.ActivityReattributed).toBeGreaterThan(5);
    expect(await activity()).toEqual(truth());
    const n = String(world.expected.activity.length);
    expect(
      await p.one(`SELECT count() AS rows, (SELECT count() FROM ${db()}.activity FINAL) AS final, uniqExact(event_id) AS ids FROM ${db()}.activity`),
    ).toEqual({ rows: n, final: n, ids: n });
    expect(await positions()).toEqual(reference());
    expect(await attribution([world.adapters.ctf, world.adapters.negRisk])).toMatchObject({ status: 'pass', details: { adapters: [], suspects: [] } });
  });
});
