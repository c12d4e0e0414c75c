import { createPublicClient, decodeEventLog, http, parseAbi, toEventSelector, type Abi, type Hex, type Log } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditionIdOf, outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import type { FillRow } from '#shared/model/fill.ts';
import type { ActivityRow } from '#shared/model/ledger.ts';
import { startSimulatedSources } from '#simulator/index.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { FILL_FIELDS, gqlData } from './helpers.ts';

/**
 * The world's logs, read back over JSON-RPC and decoded with viem against
 * event signatures written out here from the contracts' sources (not the
 * fakes' ABIs), must be exactly what `expected` says a reader loads.
 */

// Polymarket/ctf-exchange src/exchange/interfaces/ITrading.sol, IRegistry.sol, IFees.sol
const V1_EXCHANGE = parseAbi([
  'event OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint256 makerAssetId, uint256 takerAssetId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee)',
  'event OrdersMatched(bytes32 indexed takerOrderHash, address indexed takerOrderMaker, uint256 makerAssetId, uint256 takerAssetId, uint256 makerAmountFilled, uint256 takerAmountFilled)',
  'event TokenRegistered(uint256 indexed token0, uint256 indexed token1, bytes32 indexed conditionId)',
  'event FeeCharged(address indexed receiver, uint256 tokenId, uint256 amount)',
]);
// Polymarket/ctf-exchange-v2 src/exchange/interfaces/ITrading.sol, src/exchange/mixins/Events.sol
const V2_EXCHANGE = parseAbi([
  'event OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint8 side, uint256 tokenId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee, bytes32 builder, bytes32 metadata)',
  'event OrdersMatched(bytes32 indexed takerOrderHash, address indexed takerOrderMaker, uint8 side, uint256 tokenId, uint256 makerAmountFilled, uint256 takerAmountFilled)',
  'event FeeCharged(address indexed receiver, uint256 amount)',
]);
// gnosis/conditional-tokens-contracts contracts/ConditionalTokens.sol, contracts/ERC1155/IERC1155.sol
const CTF = parseAbi([
  'event ConditionPreparation(bytes32 indexed conditionId, address indexed oracle, bytes32 indexed questionId, uint256 outcomeSlotCount)',
  'event ConditionResolution(bytes32 indexed conditionId, address indexed oracle, bytes32 indexed questionId, uint256 outcomeSlotCount, uint256[] payoutNumerators)',
  'event PositionSplit(address indexed stakeholder, address collateralToken, bytes32 indexed parentCollectionId, bytes32 indexed conditionId, uint256[] partition, uint256 amount)',
  'event PositionsMerge(address indexed stakeholder, address collateralToken, bytes32 indexed parentCollectionId, bytes32 indexed conditionId, uint256[] partition, uint256 amount)',
  'event PayoutRedemption(address indexed redeemer, address indexed collateralToken, bytes32 indexed parentCollectionId, bytes32 conditionId, uint256[] indexSets, uint256 payout)',
  'event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value)',
  'event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values)',
]);
// Polymarket/neg-risk-ctf-adapter src/NegRiskAdapter.sol (INegRiskAdapterEE)
const NEG_RISK = parseAbi([
  'event MarketPrepared(bytes32 indexed marketId, address indexed oracle, uint256 feeBips, bytes data)',
  'event QuestionPrepared(bytes32 indexed marketId, bytes32 indexed questionId, uint256 index, bytes data)',
  'event OutcomeReported(bytes32 indexed marketId, bytes32 indexed questionId, bool outcome)',
  'event PositionSplit(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount)',
  'event PositionsMerge(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount)',
  'event PositionsConverted(address indexed stakeholder, bytes32 indexed marketId, uint256 indexed indexSet, uint256 amount)',
  'event PayoutRedemption(address indexed redeemer, bytes32 indexed conditionId, uint256[] amounts, uint256 payout)',
]);

const ADDR = {
  v1: '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e',
  v1NegRisk: '0xc5d563a36ae78145c45a50134d48a1215220f80a',
  v2: '0xe111180000d2663c0091e4f400237545b87b996b',
  v2NegRisk: '0xe2222d279d744050d28e00520010520000310f59',
  ctf: '0x4d97dcd97ec945f40cf65f87097ace5ea0476045',
  negRiskAdapter: '0xd91e80cf2e7be2e162c6513ced06f1dd0da35296',
  usdce: '0x2791bca1f2de4661ed88a30c99a7a9449aa84174',
  wcol: '0x3a3bd7bb9528e159577f7c2e685cc81a765002e2',
} as const;
const ABI_AT: Record<string, { label: string; abi: Abi }> = {
  [ADDR.v1]: { label: 'V1', abi: V1_EXCHANGE },
  [ADDR.v1NegRisk]: { label: 'V1', abi: V1_EXCHANGE },
  [ADDR.v2]: { label: 'V2', abi: V2_EXCHANGE },
  [ADDR.v2NegRisk]: { label: 'V2', abi: V2_EXCHANGE },
  [ADDR.ctf]: { label: 'Ctf', abi: CTF },
  [ADDR.negRiskAdapter]: { label: 'Nr', abi: NEG_RISK },
};
/** The world's log kinds, named as "<contract label>.<event>". */
const KIND_NAME: Record<string, string> = {
  OrderFilledV1: 'V1.OrderFilled',
  OrdersMatchedV1: 'V1.OrdersMatched',
  TokenRegistered: 'V1.TokenRegistered',
  FeeChargedV1: 'V1.FeeCharged',
  OrderFilledV2: 'V2.OrderFilled',
  OrdersMatchedV2: 'V2.OrdersMatched',
  FeeChargedV2: 'V2.FeeCharged',
  ConditionPreparation: 'Ctf.ConditionPreparation',
  ConditionResolution: 'Ctf.ConditionResolution',
  CtfPositionSplit: 'Ctf.PositionSplit',
  CtfPositionsMerge: 'Ctf.PositionsMerge',
  CtfPayoutRedemption: 'Ctf.PayoutRedemption',
  TransferSingle: 'Ctf.TransferSingle',
  TransferBatch: 'Ctf.TransferBatch',
  MarketPrepared: 'Nr.MarketPrepared',
  QuestionPrepared: 'Nr.QuestionPrepared',
  OutcomeReported: 'Nr.OutcomeReported',
  NrPositionSplit: 'Nr.PositionSplit',
  NrPositionsMerge: 'Nr.PositionsMerge',
  NrPositionsConverted: 'Nr.PositionsConverted',
  NrPayoutRedemption: 'Nr.PayoutRedemption',
};

type Args = Record<string, unknown>;
interface Decoded {
  name: string;
  address: string;
  args: Args;
  block: number;
  logIndex: number;
  tx: Hex;
  timestamp: number;
}

const s = (v: unknown): string => String(v).toLowerCase();
const list = (v: unknown): string[] => (v as bigint[]).map(String);

async function readWorld(w: ChainWorld, fromBlock: bigint, toBlock: bigint): Promise<Decoded[]> {
  const client = createPublicClient({ transport: http(w.rpcUrl) });
  const logs: Log[] = [];
  // In pages: the whole world's logs are over viem's 10 MB response cap.
  for (let from = fromBlock; from <= toBlock; from += 100n)
    logs.push(...(await client.getLogs({ fromBlock: from, toBlock: from + 99n < toBlock ? from + 99n : toBlock })));
  const times = new Map<bigint, number>();
  for (const b of new Set(logs.map((l) => l.blockNumber as bigint))) times.set(b, Number((await client.getBlock({ blockNumber: b })).timestamp));
  return logs.map((l) => {
    const at = ABI_AT[l.address.toLowerCase()];
    if (!at) throw new Error(`log from an unexpected contract ${l.address}`);
    const d = decodeEventLog({ abi: at.abi, data: l.data, topics: l.topics as [Hex, ...Hex[]] });
    return {
      name: `${at.label}.${d.eventName}`,
      address: l.address.toLowerCase(),
      args: d.args as unknown as Args,
      block: Number(l.blockNumber),
      logIndex: Number(l.logIndex),
      tx: l.transactionHash as Hex,
      timestamp: times.get(l.blockNumber as bigint) as number,
    };
  });
}

function fillOf(d: Decoded): Omit<FillRow, 'price'> & { price: number } {
  const a = d.args;
  const v2 = d.name === 'V2.OrderFilled';
  const makerAsset = v2 ? (a.side === 0 ? '0' : String(a.tokenId)) : String(a.makerAssetId);
  const takerAsset = v2 ? (a.side === 0 ? String(a.tokenId) : '0') : String(a.takerAssetId);
  const buy = makerAsset === '0';
  const usdc = String(buy ? a.makerAmountFilled : a.takerAmountFilled);
  const tokens = String(buy ? a.takerAmountFilled : a.makerAmountFilled);
  return {
    fill_id: `${d.tx}_${d.logIndex}`,
    source: 'chain',
    exchange: d.address,
    block_number: d.block,
    log_index: d.logIndex,
    timestamp: d.timestamp,
    transaction_hash: d.tx,
    order_hash: s(a.orderHash),
    maker: s(a.maker),
    taker: s(a.taker),
    maker_asset_id: makerAsset,
    taker_asset_id: takerAsset,
    maker_amount_filled: String(a.makerAmountFilled),
    taker_amount_filled: String(a.takerAmountFilled),
    fee: String(a.fee),
    token_id: buy ? takerAsset : makerAsset,
    side: buy ? 'BUY' : 'SELL',
    usdc_amount: usdc,
    token_amount: tokens,
    price: Number(usdc) / Number(tokens),
  };
}

/** An activity row without `wallet` (checked on its own: it needs the transaction's transfers). */
function activityOf(d: Decoded): Omit<ActivityRow, 'wallet'> | null {
  const a = d.args;
  const base = {
    event_id: `${d.tx}_${d.logIndex}`,
    contract: d.address,
    block_number: d.block,
    log_index: d.logIndex,
    timestamp: d.timestamp,
    transaction_hash: d.tx,
  };
  const nr = { collateral: ADDR.wcol, index_sets: ['1', '2'], amounts: [] as string[], payout: '0' };
  switch (d.name) {
    case 'Ctf.PositionSplit':
    case 'Ctf.PositionsMerge':
      return {
        ...base,
        kind: d.name === 'Ctf.PositionSplit' ? 'split' : 'merge',
        stakeholder: s(a.stakeholder),
        collateral: s(a.collateralToken),
        condition_id: s(a.conditionId),
        index_sets: list(a.partition),
        amounts: [],
        amount: String(a.amount),
        payout: '0',
      };
    case 'Ctf.PayoutRedemption':
      return {
        ...base,
        kind: 'redeem',
        stakeholder: s(a.redeemer),
        collateral: s(a.collateralToken),
        condition_id: s(a.conditionId),
        index_sets: list(a.indexSets),
        amounts: [],
        amount: '0',
        payout: String(a.payout),
      };
    case 'Nr.PositionSplit':
    case 'Nr.PositionsMerge':
      return {
        ...base,
        ...nr,
        kind: d.name === 'Nr.PositionSplit' ? 'split' : 'merge',
        stakeholder: s(a.stakeholder),
        condition_id: s(a.conditionId),
        amount: String(a.amount),
      };
    case 'Nr.PayoutRedemption':
      return {
        ...base,
        ...nr,
        kind: 'redeem',
        stakeholder: s(a.redeemer),
        condition_id: s(a.conditionId),
        amounts: list(a.amounts),
        amount: '0',
        payout: String(a.payout),
      };
    case 'Nr.PositionsConverted':
      return {
        ...base,
        ...nr,
        kind: 'convert',
        stakeholder: s(a.stakeholder),
        condition_id: s(a.marketId),
        index_sets: [String(a.indexSet)],
        amount: String(a.amount),
      };
    default:
      return null;
  }
}

let world: ChainWorld;
let logs: Decoded[];
let buildMs: number;

beforeAll(async () => {
  const t0 = performance.now();
  world = await startChainWorld({ seed: 11 });
  buildMs = performance.now() - t0;
  logs = await readWorld(world, BigInt(world.eras.v1.fromBlock), BigInt(world.eras.v2.toBlock));
  console.log(
    `world: ${world.expected.fills.length} fills, ${world.expected.activity.length} activity rows, ${logs.length} logs, blocks ${world.eras.v1.fromBlock}..${world.eras.v2.toBlock}, built in ${Math.round(buildMs)} ms`,
  );
});

afterAll(async () => {
  await world?.close();
});

describe('a simulated Polygon world on an EDR node', () => {
  it("builds the default size in well under a minute, starting at the V1 exchange's first block", () => {
    expect(buildMs).toBeLessThan(60_000);
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
    expect(counts.size).toBe(21);
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

  it('the subgraph dataset has the V1 fills, an order filled twice in one transaction collapsed into one entity with the last values', () => {
    const ds = world.subgraphDataset();
    const v1 = world.expected.fills.filter((f) => f.exchange === ADDR.v1 || f.exchange === ADDR.v1NegRisk);
    const groups = new Map<string, FillRow[]>();
    for (const f of v1) groups.set(`${f.transaction_hash}_${f.order_hash}`, [...(groups.get(`${f.transaction_hash}_${f.order_hash}`) ?? []), f]);
    const twice = [...groups.entries()].filter(([, g]) => g.length > 1);
    expect(twice.length).toBeGreaterThan(0);
    expect(ds.fills).toHaveLength(groups.size);
    expect(new Set(ds.fills.map((f) => f.id)).size).toBe(ds.fills.length);
    for (const [id, g] of twice) {
      const last = g[g.length - 1]!;
      expect(g[0]!.maker_amount_filled).not.toBe(last.maker_amount_filled);
      expect(ds.fills.find((f) => f.id === id)).toMatchObject({
        makerAmountFilled: last.maker_amount_filled,
        takerAmountFilled: last.taker_amount_filled,
        fee: last.fee,
      });
    }
    expect(ds.markets).toBe(world.markets);
  });

  it('the simulated orderbook subgraph serves that history', async () => {
    const ds = world.subgraphDataset();
    const sources = await startSimulatedSources({ dataset: ds });
    try {
      const served: { id: string; makerAmountFilled: string }[] = [];
      for (let last = ''; ;) {
        const page = await gqlData<{ orderFilledEvents: { id: string; makerAmountFilled: string }[] }>(
          sources.subgraphUrl,
          `query($last: ID!) { orderFilledEvents(first: 1000, orderBy: id, where: { id_gt: $last }) { ${FILL_FIELDS} } }`,
          { last },
        );
        served.push(...page.orderFilledEvents);
        if (page.orderFilledEvents.length < 1000) break;
        last = page.orderFilledEvents[page.orderFilledEvents.length - 1]!.id;
      }
      const byId = new Map(ds.fills.map((f) => [f.id, f.makerAmountFilled]));
      expect(served).toHaveLength(ds.fills.length);
      for (const f of served) expect(f.makerAmountFilled).toBe(byId.get(f.id));
      // Its MarketData entities are the registered tokens: none of a market first prepared in V2.
      const data = await gqlData<{ marketDatas: { id: string; condition: string; outcomeIndex: string | null }[] }>(
        sources.subgraphUrl,
        '{ marketDatas(first: 1000, orderBy: id) { id condition outcomeIndex } }',
      );
      const registry = world.expected.tokenClaims.filter((c) => c.source === 'registry');
      expect(data.marketDatas.map((m) => m.id).sort()).toEqual(registry.map((c) => c.token_id).sort());
      expect(data.marketDatas.every((m) => m.outcomeIndex === null)).toBe(true);
    } finally {
      await sources.close();
    }
  });

  it('extend() mines new V2-era events strictly after the previous head and leaves history alone', async () => {
    const before = world.expected;
    const head = before.head;
    const range = await world.extend({ size: { fills: 150, activity: 20 } });
    expect(range.fromBlock).toBe(head.block + 1);
    const after = world.expected;
    expect(after.fills.slice(0, before.fills.length)).toEqual(before.fills);
    expect(after.activity.slice(0, before.activity.length)).toEqual(before.activity);
    const added = after.fills.slice(before.fills.length);
    expect(added.length).toBeGreaterThan(100);
    for (const f of added) {
      expect(f.block_number).toBeGreaterThan(head.block);
      expect(f.timestamp).toBeGreaterThan(head.timestamp);
      expect([ADDR.v2, ADDR.v2NegRisk]).toContain(f.exchange);
    }
    const fresh = await readWorld(world, BigInt(range.fromBlock), BigInt(range.toBlock));
    expect(
      fresh
        .filter((l) => l.name === 'V2.OrderFilled')
        .map(fillOf)
        .map((f) => f.fill_id),
    ).toEqual(added.map((f) => f.fill_id));
  });
});

describe('determinism', () => {
  it('the same seed builds the same chain', async () => {
    const small = {
      seed: 5,
      v1: { fills: 120, activity: 20, markets: 3, negRiskMarkets: 1 },
      v2: { fills: 80, activity: 20, markets: 2, negRiskMarkets: 1 },
      wallets: 10,
      veterans: 3,
    };
    const a = await startChainWorld(small);
    const b = await startChainWorld(small);
    try {
      expect(b.expected).toEqual(a.expected);
      expect(a.traps.doubleFilledOrders).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
