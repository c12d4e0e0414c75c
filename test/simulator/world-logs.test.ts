import { encodePacked, getCreate2Address, keccak256, toEventSelector, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditionIdOf, outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { ADDR, KIND_NAME, V2_EXCHANGE, list, readWorld, s, type Decoded } from '#test/simulator/support/world-logs.ts';
import { activityOf, fillOf } from '#test/simulator/support/world-rows.ts';

/** Published by Polymarket/builder-relayer-client src/constants (PROXY_INIT_CODE_HASH). */
const PROXY_INIT_CODE_HASH = '0xd21df8dc65880a8606f09fe0ce3df9b8869287ab0b058be05aa9e8af6330a00b';

/**
 * The world's logs, read back over JSON-RPC and decoded with viem against
 * event signatures written out from the contracts' sources (not the fakes'
 * ABIs), must be exactly what `expected` says a reader loads.
 */

let world: ChainWorld;
let logs: Decoded[];

beforeAll(async () => {
  const t0 = performance.now();
  world = await startChainWorld({ seed: 11 });
  const buildMs = performance.now() - t0;
  logs = await readWorld(world, BigInt(world.eras.v1.fromBlock), BigInt(world.eras.v2.toBlock));
  console.log(
    `world: ${world.expected.fills.length} fills, ${world.expected.activity.length} activity rows, ${logs.length} logs, blocks ${world.eras.v1.fromBlock}..${world.eras.v2.toBlock}, built in ${Math.round(buildMs)} ms`,
  );
});

afterAll(async () => {
  await world?.close();
});

describe('a simulated Polygon world on an EDR node', () => {
  // How fast it builds is the bench's to measure (the time is logged above), not a test's to assert.
  it("builds the default size, starting at the V1 exchange's first block", () => {
    expect(world.expected.firstBlock).toBe(33_605_403);
    expect(world.env.CHAIN_GENESIS_BLOCK).toBe('33605403');
    expect(Math.min(...logs.map((l) => l.block))).toBe(33_605_403);
    expect(world.expected.fills.length).toBeGreaterThan(2_000);
    // User activity: rows whose wallet is a person, not an exchange's or the NegRiskAdapter's own leg.
    const contracts = new Set<string>(Object.values(ADDR));
    expect(world.expected.activity.filter((a) => !contracts.has(a.wallet)).length).toBeGreaterThan(200);
  });

  it('emits each kind as often as expected says, and the V2 OrderFilled topic is the real one', () => {
    const counts = new Map<string, number>();
    for (const l of logs) counts.set(l.name, (counts.get(l.name) ?? 0) + 1);
    const want = new Map(Object.entries(world.expected.logCounts).map(([k, n]) => [KIND_NAME[k] as string, n]));
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(want));
    expect(counts.size).toBe(23);
    // DATA.md 1c: real V2 logs carry this topic0.
    expect(toEventSelector(V2_EXCHANGE[0])).toBe('0xd543adfd945773f1a62f74f0ee55a5e3b9b1a28262980ba90b1a89f2ea84d8ee');
  });

  it('eras: V1 block times 2022-11-21 .. 2026-04-28T11:00:40Z, then V2 after, in the next blocks', () => {
    const v1End = Date.UTC(2026, 3, 28, 11, 0, 40) / 1000;
    const v1 = logs.filter((l) => l.block <= world.eras.v1.toBlock);
    const v2 = logs.filter((l) => l.block >= world.eras.v2.fromBlock);
    expect(Math.min(...v1.map((l) => l.timestamp))).toBeGreaterThan(Date.UTC(2022, 10, 21) / 1000);
    expect(Math.max(...v1.map((l) => l.timestamp))).toBeLessThanOrEqual(v1End);
    expect(Math.min(...v2.map((l) => l.timestamp))).toBeGreaterThan(v1End);
    expect(new Set(v1.filter((l) => l.name.endsWith('OrderFilled')).map((l) => l.name))).toEqual(new Set(['V1.OrderFilled']));
    expect(new Set(v2.filter((l) => l.name.endsWith('OrderFilled')).map((l) => l.name))).toEqual(new Set(['V2.OrderFilled']));
    expect(v2.some((l) => l.name === 'V1.TokenRegistered')).toBe(false);
  });

  it('fills decode to exactly the expected rows, field by field', () => {
    const decoded = logs.filter((l) => l.name.endsWith('.OrderFilled')).map(fillOf);
    const expected = world.expected.fills;
    expect(decoded.map(({ price: _p, ...r }) => r)).toEqual(expected.map(({ price: _p, ...r }) => r));
    for (const [i, row] of expected.entries()) expect(row.price).toBeCloseTo(decoded[i]!.price, 9);
  });

  it("activity decodes to the expected rows; an adapter row's wallet is the other side of its transfer", () => {
    const decoded = logs.map(activityOf).filter((r) => r !== null);
    const expected = world.expected.activity;
    expect(decoded).toEqual(expected.map(({ wallet: _w, ...r }) => r));
    const adapters = new Set([world.adapters.ctf, world.adapters.negRisk]);
    const transfers = logs.filter((l) => l.name === 'Ctf.TransferBatch' || l.name === 'Ctf.TransferSingle');
    for (const a of expected) {
      if (!adapters.has(a.stakeholder as never)) {
        expect(a.wallet).toBe(a.stakeholder);
        continue;
      }
      const inTx = transfers.filter((t) => t.tx === a.transaction_hash);
      const moved = inTx.some((t) =>
        a.kind === 'split' ? s(t.args.from) === a.stakeholder && s(t.args.to) === a.wallet : s(t.args.from) === a.wallet && s(t.args.to) === a.stakeholder,
      );
      expect(moved, `${a.event_id}: a transfer between ${a.stakeholder} and ${a.wallet}`).toBe(true);
    }
  });

  it('conditions, NegRisk questions and registry claims decode to the expected rows', () => {
    const final = new Map<string, Decoded>();
    for (const l of logs) if (l.name === 'Ctf.ConditionPreparation' || l.name === 'Ctf.ConditionResolution') final.set(s(l.args.conditionId), l);
    expect(
      [...final.values()].map((l) => {
        const payouts = l.name === 'Ctf.ConditionResolution' ? list(l.args.payoutNumerators) : [];
        return {
          condition_id: s(l.args.conditionId),
          oracle: s(l.args.oracle),
          question_id: s(l.args.questionId),
          outcome_slot_count: Number(l.args.outcomeSlotCount),
          payout_numerators: payouts,
          payout_denominator: payouts.reduce((x, y) => x + BigInt(y), 0n).toString(),
          resolved_at: payouts.length > 0 ? l.timestamp : null,
          block_number: l.block,
          log_index: l.logIndex,
          transaction_hash: l.tx,
        };
      }),
    ).toEqual(world.expected.conditions);
    const questions = logs.filter((l) => l.name === 'Nr.QuestionPrepared');
    expect(
      questions.map((l) => ({
        market_id: s(l.args.marketId),
        question_id: s(l.args.questionId),
        question_index: Number(l.args.index),
        condition_id: conditionIdOf(ADDR.negRiskAdapter, l.args.questionId as Hex, 2),
        block_number: l.block,
        log_index: l.logIndex,
      })),
    ).toEqual(world.expected.negRiskQuestions);
    const prepared = new Map([...final.values()].map((l) => [s(l.args.conditionId), s(l.args.oracle)]));
    for (const q of world.expected.negRiskQuestions) expect(prepared.get(q.condition_id)).toBe(ADDR.negRiskAdapter);
    // Claims in chain order: each prepared condition's outcome tokens ('ctf'), each registration ('registry').
    const claims = logs.flatMap((l) => {
      if (l.name === 'Ctf.ConditionPreparation') {
        const n = Number(l.args.outcomeSlotCount);
        const ids = outcomeTokenIds(s(l.args.oracle) === ADDR.negRiskAdapter ? ADDR.wcol : ADDR.usdce, l.args.conditionId as Hex, n);
        return ids.map((id, i) => ({
          token_id: String(id),
          source: 'ctf',
          condition_id: s(l.args.conditionId),
          outcome_index: i,
          outcome: '',
          complement_id: n === 2 ? String(ids[1 - i]) : '',
          winner: null,
          exchange: '',
          block_number: l.block,
        }));
      }
      if (l.name !== 'V1.TokenRegistered') return [];
      const collateral = l.address === ADDR.v1 ? ADDR.usdce : ADDR.wcol;
      const index = outcomeTokenIds(collateral, l.args.conditionId as Hex, 2).indexOf(l.args.token0 as bigint);
      return [
        {
          token_id: String(l.args.token0),
          source: 'registry',
          condition_id: s(l.args.conditionId),
          outcome_index: index < 0 ? null : index,
          outcome: '',
          complement_id: String(l.args.token1),
          winner: null,
          exchange: l.address,
          block_number: l.block,
        },
      ];
    });
    expect(claims).toEqual(world.expected.tokenClaims);
    expect(claims.every((c) => c.outcome_index !== null)).toBe(true);
  });

  it('every V1 token is registered on its exchange before its first fill; markets list the real token ids', () => {
    const registered = new Map<string, { exchange: string; at: number }>();
    for (const l of logs)
      if (l.name === 'V1.TokenRegistered' && !registered.has(String(l.args.token0)))
        registered.set(String(l.args.token0), { exchange: l.address, at: l.block * 1e6 + l.logIndex });
    for (const f of world.expected.fills.filter((x) => x.exchange === ADDR.v1 || x.exchange === ADDR.v1NegRisk)) {
      const r = registered.get(f.token_id);
      expect(r?.exchange, f.fill_id).toBe(f.exchange);
      expect(r!.at).toBeLessThan(f.block_number * 1e6 + f.log_index);
    }
    for (const m of world.markets) {
      const ids = outcomeTokenIds(m.negRisk ? ADDR.wcol : ADDR.usdce, m.conditionId as Hex, 2).map(String);
      expect(m.tokens.map((t) => t.tokenId)).toEqual(ids);
    }
  });

  it('every trap is on chain', () => {
    const t = world.traps;
    for (const [name, n] of Object.entries(t)) if (typeof n === 'number') expect(n, name).toBeGreaterThan(0);
    for (const [name, n] of Object.entries(t.resolutions)) expect(n, name).toBeGreaterThan(0);
    for (const [name, n] of Object.entries(t.adapterRouted)) expect(n, `adapter ${name}`).toBeGreaterThan(0);
    expect(Object.keys(t.conversions.byK).length).toBeGreaterThanOrEqual(3);
    expect(t.conversions.allQuestions).toBeGreaterThan(0);
    expect(t.conversions.maxQuestions).toBeGreaterThanOrEqual(3);
    expect(t.takerOrderFills).toBeGreaterThan(world.expected.fills.length / 4);
  });

  it('wallets: Safes and proxy wallets decode to the expected rows, traders trade from them, and the look-alikes are on chain', () => {
    const relayed = logs.filter((l) => l.name === 'Hub.TransactionRelayed');
    const toFactory = relayed.filter((l) => s(l.args.to) === ADDR.proxyFactory);
    const rows = new Map<string, Record<string, unknown>>();
    for (const l of logs) {
      const at = { block_number: l.block, transaction_hash: l.tx };
      if (l.name === 'Safes.ProxyCreation' && l.address === ADDR.safeFactory) {
        rows.set(s(l.args.proxy), { proxy: s(l.args.proxy), owner: s(l.args.owner), kind: 'safe', factory: ADDR.safeFactory, ...at });
      }
      const owner = s(l.args.from) as Hex;
      if (l.name === 'Hub.TransactionRelayed' && s(l.args.to) === ADDR.proxyFactory && l.args.status === 0) {
        const proxy = getCreate2Address({ from: ADDR.proxyFactory, salt: keccak256(encodePacked(['address'], [owner])), bytecodeHash: PROXY_INIT_CODE_HASH });
        if (!rows.has(s(proxy))) rows.set(s(proxy), { proxy: s(proxy), owner, kind: 'proxy', factory: ADDR.proxyFactory, ...at });
      }
    }
    expect([...rows.values()].sort((a, b) => (String(a.proxy) < String(b.proxy) ? -1 : 1))).toEqual(world.expected.wallets);
    const kinds = new Map(world.expected.wallets.map((w) => [w.proxy, w.kind]));
    const makers = new Set(world.expected.fills.map((f) => kinds.get(f.maker)).filter((k) => k !== undefined));
    expect(makers).toEqual(new Set(['safe', 'proxy']));
    // What a wallet reader must not take: a reverted relayed call, a call to another recipient, the Gnosis factory's event.
    expect(toFactory.some((l) => l.args.status !== 0)).toBe(true);
    expect(relayed.some((l) => s(l.args.to) !== ADDR.proxyFactory)).toBe(true);
    expect(logs.some((l) => l.name === 'Safes.ProxyCreation' && l.address === ADDR.gnosisProxyFactory)).toBe(true);
    // A proxy whose calls span blocks: its row is the first.
    const blocksPerOwner = new Map<string, Set<number>>();
    for (const l of toFactory) blocksPerOwner.set(s(l.args.from), (blocksPerOwner.get(s(l.args.from)) ?? new Set()).add(l.block));
    expect([...blocksPerOwner.values()].some((b) => b.size > 1)).toBe(true);
  });

  it('an adapter split is a CTF PositionSplit naming the adapter and a transfer from it to the wallet, in one transaction', async () => {
    const split = world.expected.activity.find((a) => a.kind === 'split' && a.stakeholder === world.adapters.ctf && a.wallet !== ADDR.v2);
    const merge = world.expected.activity.find((a) => a.kind === 'merge' && a.stakeholder === world.adapters.ctf && a.wallet !== ADDR.v2);
    const inTx = (tx: string) => logs.filter((l) => l.tx === tx);
    const sLogs = inTx(split!.transaction_hash);
    const at = sLogs.findIndex((l) => l.name === 'Ctf.PositionSplit' && s(l.args.stakeholder) === world.adapters.ctf);
    expect(sLogs.slice(at + 1).some((l) => l.name === 'Ctf.TransferBatch' && s(l.args.from) === world.adapters.ctf && s(l.args.to) === split!.wallet)).toBe(
      true,
    );
    const mLogs = inTx(merge!.transaction_hash);
    const mAt = mLogs.findIndex((l) => l.name === 'Ctf.PositionsMerge' && s(l.args.stakeholder) === world.adapters.ctf);
    expect(mLogs.slice(0, mAt).some((l) => l.name === 'Ctf.TransferBatch' && s(l.args.from) === merge!.wallet && s(l.args.to) === world.adapters.ctf)).toBe(
      true,
    );
  });
});
