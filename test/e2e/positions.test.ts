import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedSources, type Dataset, type SimulatedSources } from '#simulator/index.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { referencePositions, type ReferencePosition } from '#test/support/reference-pnl.ts';
import { startTestPipeline, type TestPipeline } from '#test/support/pipeline.ts';

/**
 * Both eras read from a simulated chain (V1 and V2 exchanges, the CTF, the
 * NegRiskAdapter, collateral adapters), with market lists that miss some
 * markets and disagree on one: the warehouse must map every fill, keep the
 * chain's resolutions, mark taker-order legs, and hold positions equal, field
 * by field, to a reference of the pnl-subgraph method written apart from
 * the product (test/support/reference-pnl.ts).
 */
describe('positions and mapping from a simulated chain, both eras', () => {
  let world: ChainWorld;
  let dataset: Dataset;
  let sim: SimulatedSources;
  let p: TestPipeline;

  beforeAll(async () => {
    world = await startChainWorld({ seed: 4 });
    dataset = world.subgraphDataset({ lists: { clobMissShare: 0.15, gammaKnowsClobMissingShare: 0.5, disagreements: [{ list: 'gamma', kind: 'outcome' }] } });
    sim = await startSimulatedSources({ dataset });
    p = await startTestPipeline({ ...sim.env, ...world.env, SYNC_SOURCES: 'markets,chain' });
  });
  afterAll(async () => {
    await p?.close();
    await sim?.close();
    await world?.close();
  });

  const db = () => p.database;

  function reference(): Map<string, ReferencePosition> {
    const e = world.expected;
    return referencePositions({ fills: e.fills, activity: e.activity, conditions: e.conditions, neg_risk_questions: e.negRiskQuestions });
  }

  async function positions(): Promise<Map<string, ReferencePosition>> {
    const rows = await p.rows<ReferencePosition>(
      `SELECT wallet, toString(token_id) AS token_id, toString(amount) AS amount, toString(avg_price) AS avg_price,
              toString(realized_pnl) AS realized_pnl, toString(total_bought) AS total_bought FROM ${db()}.positions FINAL`,
    );
    return new Map(rows.map((r) => [`${r.wallet}|${r.token_id}`, r]));
  }

  async function expectPositionsEqualReference(): Promise<number> {
    const expected = reference();
    const actual = await positions();
    const mismatches: string[] = [];
    for (const [key, want] of expected) {
      const got = actual.get(key);
      if (!got) mismatches.push(`missing ${key}`);
      else if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${key}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
    for (const key of actual.keys()) if (!expected.has(key)) mismatches.push(`unexpected ${key}`);
    expect(mismatches.slice(0, 10)).toEqual([]);
    return expected.size;
  }

  /** `wallets FINAL`, the contract's columns, as the world says a reader loads them. */
  async function expectWalletsEqualWorld(): Promise<void> {
    const rows = await p.rows<Record<string, unknown>>(
      `SELECT proxy, owner, toString(kind) AS kind, factory, block_number, transaction_hash FROM ${db()}.wallets FINAL ORDER BY proxy`,
    );
    expect(rows.map((r) => ({ ...r, block_number: Number(r.block_number) }))).toEqual(world.expected.wallets);
  }

  it('loads every fill and every position-changing event of both eras exactly once', async () => {
    const result = await p.cycle();
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    const e = world.expected;
    const fills = await p.one<{ n: string; final: string; distinct: string }>(
      `SELECT count() AS n, (SELECT count() FROM ${db()}.fills FINAL) AS final, uniqExact(fill_id) AS distinct FROM ${db()}.fills`,
    );
    expect(fills).toEqual({ n: String(e.fills.length), final: String(e.fills.length), distinct: String(e.fills.length) });
    const ids = await p.rows<{ fill_id: string }>(`SELECT fill_id FROM ${db()}.fills ORDER BY fill_id`);
    expect(ids.map((r) => r.fill_id)).toEqual(e.fills.map((f) => f.fill_id).sort());
    const activity = await p.rows<{ event_id: string; kind: string; wallet: string; amount: string; payout: string }>(
      `SELECT event_id, toString(kind) AS kind, wallet, toString(amount) AS amount, toString(payout) AS payout FROM ${db()}.activity FINAL ORDER BY event_id`,
    );
    const wanted = e.activity.map((a) => ({ event_id: a.event_id, kind: a.kind, wallet: a.wallet, amount: a.amount, payout: a.payout }));
    expect(activity).toEqual(wanted.sort((a, b) => (a.event_id < b.event_id ? -1 : 1)));
    // Adapter-routed V2 activity landed under the real wallet (the activity rows above match the world's).
    expect(world.traps.adapterRouted.split).toBeGreaterThan(0);
    expect(world.traps.adapterRouted.merge).toBeGreaterThan(0);
    expect(world.traps.adapterRouted.redeem).toBeGreaterThan(0);
    const rejects = await p.one<{ n: string }>(`SELECT count() AS n FROM ${db()}.rejects`);
    expect(rejects.n).toBe('0');
  });

  it("maps every Safe and proxy wallet the chain records to its owner, at the wallet's first call, and nothing else", async () => {
    await expectWalletsEqualWorld();
    const kinds = await p.rows<{ kind: string; n: string }>(
      `SELECT toString(kind) AS kind, count() AS n FROM ${db()}.wallets FINAL GROUP BY kind ORDER BY kind`,
    );
    expect(kinds.map((k) => k.kind)).toEqual(['proxy', 'safe']);
  });

  it('keeps exactly the chain payouts of resolved conditions, and none for unresolved ones', async () => {
    const rows = await p.rows<{ condition_id: string; payout_numerators: string[]; payout_denominator: string; resolved: number }>(
      `SELECT condition_id, arrayMap(x -> toString(x), payout_numerators) AS payout_numerators, toString(payout_denominator) AS payout_denominator,
              resolved_at IS NOT NULL AS resolved FROM ${db()}.conditions FINAL ORDER BY condition_id`,
    );
    const want = world.expected.conditions
      .map((c) => ({
        condition_id: c.condition_id,
        payout_numerators: c.payout_numerators,
        payout_denominator: c.payout_denominator,
        resolved: c.resolved_at === null ? 0 : 1,
      }))
      .sort((a, b) => (a.condition_id < b.condition_id ? -1 : 1));
    expect(rows.map((r) => ({ ...r, resolved: Number(r.resolved) }))).toEqual(want);
    expect(want.some((c) => c.resolved === 0)).toBe(true);
    expect(want.some((c) => c.resolved === 1)).toBe(true);
  });

  it('maps at least 99.9% of fills to a condition and outcome although the lists miss markets, and says which source gave each mapping', async () => {
    const unlisted = dataset.lists?.omitted.clob.size ?? 0;
    expect(unlisted / dataset.markets.length).toBeGreaterThanOrEqual(0.05);
    const share = await p.one<{ fills: string; mapped: string; withOutcome: string }>(
      `SELECT count() AS fills, countIf(is_mapped) AS mapped, countIf(outcome_index IS NOT NULL) AS withOutcome FROM ${db()}.trades`,
    );
    expect(Number(share.mapped) / Number(share.fills)).toBeGreaterThanOrEqual(0.999);
    expect(Number(share.withOutcome) / Number(share.fills)).toBeGreaterThanOrEqual(0.999);
    const unsourced = await p.one<{ n: string }>(`SELECT count() AS n FROM ${db()}.market_tokens WHERE length(sources) = 0`);
    expect(unsourced.n).toBe('0');
    // The chain's own claims win: every traded token maps to the condition the world prepared it for.
    const truth = new Map(world.markets.flatMap((m) => m.tokens.map((t, i) => [t.tokenId, `${m.conditionId}:${i}`] as const)));
    const mapped = await p.rows<{ token_id: string; condition_id: string; outcome_index: number }>(
      `SELECT toString(token_id) AS token_id, condition_id, outcome_index FROM ${db()}.market_tokens`,
    );
    const wrong = mapped.filter((m) => truth.has(m.token_id) && truth.get(m.token_id) !== `${m.condition_id}:${m.outcome_index}`);
    expect(wrong).toEqual([]);
  });

  it('reports the injected disagreement between lists instead of overwriting the mapping', async () => {
    const injected = dataset.lists?.disagreements ?? [];
    expect(injected.length).toBeGreaterThan(0);
    const conflicts = await p.rows<{ token_id: string }>(`SELECT toString(token_id) AS token_id FROM ${db()}.token_conflicts`);
    const wrongTokens = new Set(injected.flatMap((d) => d.claims.map((c) => c.tokenId)));
    expect(new Set(conflicts.map((c) => c.token_id))).toEqual(wrongTokens);
  });

  it('counts volume once: USDC over fills that are not taker-order legs equals the traded volume', async () => {
    const volume = world.expected.fills.filter((f) => f.taker !== f.exchange).reduce((a, f) => a + BigInt(f.usdc_amount), 0n);
    const row = await p.one<{ volume: string; legs: string }>(
      `SELECT toString(sumIf(usdc_amount, NOT is_taker_order)) AS volume, countIf(is_taker_order) AS legs FROM ${db()}.trades`,
    );
    expect(BigInt(row.volume)).toBe(volume);
    expect(Number(row.legs)).toBe(world.expected.fills.filter((f) => f.taker === f.exchange).length);
  });

  it('holds positions equal to the reference method on every (wallet, token), every field', async () => {
    const n = await expectPositionsEqualReference();
    expect(n).toBeGreaterThan(100);
    const pnl = await p.one<{ wallets: string }>(`SELECT count() AS wallets FROM ${db()}.wallet_pnl`);
    expect(Number(pnl.wallets)).toBe(new Set([...reference().values()].map((r) => r.wallet)).size);
  });

  it('after an incremental run with activity of every kind, applies only the new events and agrees again', async () => {
    const before = await p.one<{ upTo: string }>(`SELECT max(up_to_block) AS upTo FROM ${db()}.positions_progress`);
    const range = await world.extend({ seed: 99 });
    const result = await p.cycle();
    expect(result.ok).toBe(true);
    await expectPositionsEqualReference();
    // The new blocks repeat some proxies' relayed calls: each proxy's row stays its first.
    await expectWalletsEqualWorld();
    const e = world.expected;
    const inRange = (b: number) => b >= range.fromBlock && b <= range.toBlock;
    const newEvents = e.fills.filter((f) => inRange(f.block_number)).length + e.activity.filter((a) => inRange(a.block_number)).length;
    const kinds = new Set(e.activity.filter((a) => inRange(a.block_number)).map((a) => a.kind));
    expect([...kinds].sort()).toEqual(['convert', 'merge', 'redeem', 'split']);
    // The refreshes of this run read the new events only, not history.
    const read = await p.one<{ events: string }>(
      `SELECT toString(sum(events)) AS events FROM ${db()}.positions_progress WHERE up_to_block > ${Number(before.upTo)}`,
    );
    expect(Number(read.events)).toBe(newEvents);
  });

  it('changes nothing when run again', async () => {
    const snapshot = async () =>
      p.one(`SELECT (SELECT count() FROM ${db()}.fills) AS fills, (SELECT count() FROM ${db()}.activity) AS activity, (SELECT count() FROM ${db()}.positions FINAL) AS positions,
                    (SELECT toString(sum(realized_pnl)) FROM ${db()}.positions FINAL) AS pnl`);
    const before = await snapshot();
    const result = await p.cycle();
    expect(result.ok).toBe(true);
    expect(await snapshot()).toEqual(before);
    await expectPositionsEqualReference();
  });
});
