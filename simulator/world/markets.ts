import { encodeAbiParameters, keccak256, stringToHex, type Address, type Hex } from 'viem';
import { conditionIdOf, outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import type { SimMarket } from '#simulator/dataset.ts';
import {
  CONDITIONAL_TOKENS,
  CTF_EXCHANGE_V1,
  NEG_RISK_ADAPTER,
  NEG_RISK_EXCHANGE_V1,
  USDC_E,
  WRAPPED_COLLATERAL,
} from '#shared/sources/chain/events/addresses.ts';
import { WORLD_ACTORS } from './addresses.ts';
import type { WorldLog } from './logs.ts';
import type { NegRiskEvent, WorldMarket, WorldState } from './state.ts';

/**
 * Markets: how they are prepared, registered and resolved on chain.
 * Standard markets: the oracle (UMA's adapter in reality) prepares a binary
 * condition on the CTF. NegRisk markets (Polymarket/neg-risk-ctf-adapter):
 * prepareMarket emits MarketPrepared with marketId = keccak256(abi.encode(
 * oracle, feeBips, data)) with its last byte cleared (NegRiskIdLib); each
 * prepareQuestion has questionId = marketId + index, makes the adapter
 * prepare the condition with itself as oracle and 2 slots (getConditionId),
 * then emits QuestionPrepared. Positions are held against WrappedCollateral.
 */

const SUBJECTS = ['Bitcoin', 'the Fed', 'SpaceX', 'OpenAI', 'Nvidia', 'the Chiefs', 'Argentina', 'Solana', 'Taylor Swift', 'the UK'];
const PREDICATES = ['reach a new high', 'cut rates', 'launch on time', 'ship the model', 'top the chart', 'win the final'];

function question(s: WorldState): { question: string; slug: string } {
  const q = `Will ${s.rng.pick(SUBJECTS)} ${s.rng.pick(PREDICATES)} (#${s.markets.length + 1})?`;
  return {
    question: q,
    slug: q
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, ''),
  };
}

function binary(
  s: WorldState,
  era: 'v1' | 'v2',
  at: number,
  oracle: Address,
  questionId: Hex,
  collateral: Address,
  negRisk: WorldMarket['negRisk'],
): WorldMarket {
  const conditionId = conditionIdOf(oracle, questionId, 2);
  const [yes, no] = outcomeTokenIds(collateral, conditionId, 2) as [bigint, bigint];
  const m: WorldMarket = {
    conditionId,
    questionId,
    oracle,
    collateral,
    tokens: [yes, no],
    negRisk,
    ...question(s),
    era,
    openedAt: at,
    payouts: null,
    resolvedAt: null,
  };
  s.markets.push(m);
  return m;
}

/** A standard market and its ConditionPreparation. */
export function openStandardMarket(s: WorldState, era: 'v1' | 'v2', at: number): { market: WorldMarket; logs: WorldLog[] } {
  const m = binary(s, era, at, WORLD_ACTORS.umaOracle, s.hex32(), USDC_E, null);
  return {
    market: m,
    logs: [
      {
        kind: 'ConditionPreparation',
        address: CONDITIONAL_TOKENS,
        conditionId: m.conditionId,
        oracle: m.oracle,
        questionId: m.questionId,
        outcomeSlotCount: 2n,
      },
    ],
  };
}

/** Adds question `ev.questions.length` to a NegRisk market: the adapter's condition, then QuestionPrepared. */
export function addQuestion(s: WorldState, ev: NegRiskEvent, era: 'v1' | 'v2', at: number): { market: WorldMarket; logs: WorldLog[] } {
  const index = ev.questions.length;
  const questionId = `0x${(BigInt(ev.marketId) + BigInt(index)).toString(16).padStart(64, '0')}` as Hex;
  const m = binary(s, era, at, NEG_RISK_ADAPTER, questionId, WRAPPED_COLLATERAL, { marketId: ev.marketId, index });
  ev.questions.push(m);
  return {
    market: m,
    logs: [
      { kind: 'ConditionPreparation', address: CONDITIONAL_TOKENS, conditionId: m.conditionId, oracle: NEG_RISK_ADAPTER, questionId, outcomeSlotCount: 2n },
      { kind: 'QuestionPrepared', address: NEG_RISK_ADAPTER, marketId: ev.marketId, questionId, index: BigInt(index), data: stringToHex(m.question) },
    ],
  };
}

/** A NegRisk market with `questions` questions: MarketPrepared, then each question. */
export function openNegRiskMarket(s: WorldState, era: 'v1' | 'v2', at: number, questions: number): { event: NegRiskEvent; logs: WorldLog[] } {
  const oracle = WORLD_ACTORS.negRiskOperator;
  const feeBips = 0n;
  const data = stringToHex(`neg-risk market ${s.hex32()}`);
  const hash = BigInt(keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }, { type: 'bytes' }], [oracle, feeBips, data])));
  const marketId = `0x${((hash >> 8n) << 8n).toString(16).padStart(64, '0')}` as Hex;
  const ev: NegRiskEvent = { marketId, oracle, feeBips, data, questions: [] };
  s.events.push(ev);
  const logs: WorldLog[] = [{ kind: 'MarketPrepared', address: NEG_RISK_ADAPTER, marketId, oracle, feeBips, data }];
  for (let i = 0; i < questions; i++) logs.push(...addQuestion(s, ev, era, at).logs);
  return { event: ev, logs };
}

/** The V1 exchange a market trades on: NegRisk markets on the NegRisk exchange. */
export const v1ExchangeOf = (m: WorldMarket): Address => (m.negRisk ? NEG_RISK_EXCHANGE_V1 : CTF_EXCHANGE_V1);

/** Registry.registerToken: TokenRegistered for (yes, no) then (no, yes) (Polymarket/ctf-exchange src/exchange/mixins/Registry.sol). */
export function registerLogs(m: WorldMarket): WorldLog[] {
  const address = v1ExchangeOf(m);
  const [yes, no] = m.tokens;
  return [
    { kind: 'TokenRegistered', address, token0: yes, token1: no, conditionId: m.conditionId },
    { kind: 'TokenRegistered', address, token0: no, token1: yes, conditionId: m.conditionId },
  ];
}

/**
 * The oracle reports payouts: ConditionResolution from the CTF; for a NegRisk
 * question the adapter reports (reportOutcome: [1,0] or [0,1]) and adds OutcomeReported.
 */
export function resolveLogs(m: WorldMarket, payouts: bigint[], at: number): WorldLog[] {
  m.payouts = payouts;
  m.resolvedAt = at;
  const resolution: WorldLog = {
    kind: 'ConditionResolution',
    address: CONDITIONAL_TOKENS,
    conditionId: m.conditionId,
    oracle: m.oracle,
    questionId: m.questionId,
    outcomeSlotCount: BigInt(payouts.length),
    payoutNumerators: payouts,
  };
  if (!m.negRisk) return [resolution];
  return [
    resolution,
    { kind: 'OutcomeReported', address: NEG_RISK_ADAPTER, marketId: m.negRisk.marketId, questionId: m.questionId, outcome: payouts[0] === 1n },
  ];
}

/** A condition with three outcomes, prepared and resolved, never traded: the pnl-subgraph ignores such conditions. */
export function threeOutcomeConditionLogs(s: WorldState): { prepare: WorldLog[]; resolve: WorldLog[] } {
  const questionId = s.hex32();
  const oracle = WORLD_ACTORS.umaOracle;
  const conditionId = conditionIdOf(oracle, questionId, 3);
  return {
    prepare: [{ kind: 'ConditionPreparation', address: CONDITIONAL_TOKENS, conditionId, oracle, questionId, outcomeSlotCount: 3n }],
    resolve: [
      { kind: 'ConditionResolution', address: CONDITIONAL_TOKENS, conditionId, oracle, questionId, outcomeSlotCount: 3n, payoutNumerators: [0n, 1n, 0n] },
    ],
  };
}

/** The market as the simulated CLOB list serves it (simulator/dataset.ts shape). */
export function toSimMarket(m: WorldMarket, now: number): SimMarket {
  const closed = m.payouts !== null && (m.resolvedAt ?? Infinity) <= now;
  return {
    conditionId: m.conditionId,
    questionId: m.questionId,
    question: m.question,
    slug: m.slug,
    endDateIso: new Date(((m.resolvedAt ?? now + 30 * 86_400) as number) * 1000).toISOString(),
    closed,
    active: !closed,
    negRisk: m.negRisk !== null,
    negRiskMarketId: m.negRisk?.marketId ?? '',
    tokens: [
      { tokenId: m.tokens[0].toString(), outcome: 'Yes' },
      { tokenId: m.tokens[1].toString(), outcome: 'No' },
    ],
    ...(closed ? { winnerIndex: singleWinner(m.payouts!) } : {}),
  };
}

/** The one outcome with a payout, or null when none or several are paid. */
function singleWinner(payouts: readonly bigint[]): number | null {
  const paid = payouts.flatMap((p, i) => (p > 0n ? [i] : []));
  return paid.length === 1 ? paid[0]! : null;
}
