import type { Address, Hex } from 'viem';
import { conditionIdOf, outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import { deriveMakerView, type FillRow } from '#shared/model/fill.ts';
import type { ActivityKind, ActivityRow, ConditionRow, NegRiskQuestionRow, TokenClaimRow, WalletRow } from '#shared/model/ledger.ts';
import { CTF_EXCHANGE_V1, NEG_RISK_ADAPTER, NEG_RISK_EXCHANGE_V1, USDC_E, WRAPPED_COLLATERAL } from '#shared/sources/chain/events/addresses.ts';
import { POLYMARKET_PROXY_FACTORY, POLYMARKET_SAFE_FACTORY } from '#shared/sources/chain/events/wallets.ts';
import type { WorldLog } from './logs.ts';
import type { EmittedTx } from './writer.ts';

/**
 * What a correct reader of this world loads, computed from what the world
 * asked its fakes to emit and where the receipts put it (block, log index,
 * block time), never from a reader. Rows are in chain order. Conventions
 * (those of shared/model/ledger.ts):
 * - fills: one row per OrderFilled of the four exchanges, V1 and V2, fill_id `<tx>_<logIndex>`, source 'chain';
 * - activity: one row per PositionSplit / PositionsMerge / PayoutRedemption of the CTF and of the
 *   NegRiskAdapter and per PositionsConverted, including those whose stakeholder is an exchange or the
 *   NegRiskAdapter itself (a P&L skips those; the table keeps them). `wallet` is who really moved the
 *   positions: the user behind a collateral adapter, else the stakeholder. `collateral` is the CTF event's,
 *   WrappedCollateral for NegRiskAdapter rows; index sets are the partition / index sets ([1,2] for
 *   NegRiskAdapter split, merge and redemption; [indexSet] for a conversion, whose condition_id is the
 *   market id); `amounts` only for NegRiskAdapter redemptions; `amount` 0 for redemptions;
 * - conditions: one row per prepared condition in its final state (the resolution's row once resolved,
 *   what ReplacingMergeTree(is_resolved) keeps; else the preparation's);
 * - neg_risk_questions: one per QuestionPrepared; condition = conditionIdOf(NegRiskAdapter, questionId, 2);
 * - token claims, in chain order: per ConditionPreparation of 2 to 8 slots, one `ctf` claim per outcome
 *   (the position id under WrappedCollateral when the NegRiskAdapter is the oracle, else USDC.e; the
 *   complement only for binary conditions); per TokenRegistered one `registry` claim (V1 exchanges only:
 *   V2 has no registry);
 * - wallets: one per Safe the Polymarket Safe factory created (not the canonical Gnosis factory's
 *   look-alike), and one per proxy wallet the script made, at its earliest successful relayed call to
 *   the proxy factory (reverted calls and calls to other recipients make none).
 */
export interface ExpectedWorld {
  fills: FillRow[];
  activity: ActivityRow[];
  conditions: ConditionRow[];
  negRiskQuestions: NegRiskQuestionRow[];
  tokenClaims: TokenClaimRow[];
  /** Ordered by proxy. */
  wallets: WalletRow[];
  /** Logs emitted per kind (transfers, OrdersMatched and FeeCharged included), for decoding checks. */
  logCounts: Partial<Record<WorldLog['kind'], number>>;
  /** The world's first block (CHAIN_GENESIS_BLOCK). */
  firstBlock: number;
  /** The last mined block and its time. */
  head: { block: number; timestamp: number };
}

const lc = (a: string): string => a.toLowerCase();
const strings = (xs: readonly bigint[]): string[] => xs.map(String);

function fillRow(tx: EmittedTx, logIndex: number, l: Extract<WorldLog, { kind: 'OrderFilledV1' | 'OrderFilledV2' }>): FillRow {
  const legs =
    l.kind === 'OrderFilledV1'
      ? { makerAssetId: l.makerAssetId.toString(), takerAssetId: l.takerAssetId.toString() }
      : { makerAssetId: l.side === 0 ? '0' : l.tokenId.toString(), takerAssetId: l.side === 0 ? l.tokenId.toString() : '0' };
  const amounts = { makerAmountFilled: l.makerAmountFilled.toString(), takerAmountFilled: l.takerAmountFilled.toString() };
  const view = deriveMakerView({ ...legs, ...amounts });
  if (typeof view === 'string') throw new Error(`world script bug: fill ${tx.hash}_${logIndex}: ${view}`);
  return {
    fill_id: `${tx.hash}_${logIndex}`,
    source: 'chain',
    exchange: lc(l.address),
    block_number: tx.blockNumber,
    log_index: logIndex,
    timestamp: tx.timestamp,
    transaction_hash: tx.hash,
    order_hash: lc(l.orderHash),
    maker: lc(l.maker),
    taker: lc(l.taker),
    maker_asset_id: legs.makerAssetId,
    taker_asset_id: legs.takerAssetId,
    maker_amount_filled: amounts.makerAmountFilled,
    taker_amount_filled: amounts.takerAmountFilled,
    fee: l.fee.toString(),
    ...view,
  };
}

interface ActivityFields {
  kind: ActivityKind;
  stakeholder: Address;
  wallet: Address;
  collateral: string;
  condition_id: Hex;
  index_sets: readonly bigint[];
  amounts: readonly bigint[];
  amount: bigint;
  payout: bigint;
}

function activityFields(l: WorldLog): ActivityFields | null {
  const nr = { collateral: WRAPPED_COLLATERAL, index_sets: [1n, 2n], amounts: [] as bigint[], payout: 0n };
  switch (l.kind) {
    case 'CtfPositionSplit':
    case 'CtfPositionsMerge':
      return {
        kind: l.kind === 'CtfPositionSplit' ? 'split' : 'merge',
        stakeholder: l.stakeholder,
        wallet: l.wallet,
        collateral: l.collateralToken,
        condition_id: l.conditionId,
        index_sets: l.partition,
        amounts: [],
        amount: l.amount,
        payout: 0n,
      };
    case 'CtfPayoutRedemption':
      return {
        kind: 'redeem',
        stakeholder: l.redeemer,
        wallet: l.wallet,
        collateral: l.collateralToken,
        condition_id: l.conditionId,
        index_sets: l.indexSets,
        amounts: [],
        amount: 0n,
        payout: l.payout,
      };
    case 'NrPositionSplit':
    case 'NrPositionsMerge':
      return {
        ...nr,
        kind: l.kind === 'NrPositionSplit' ? 'split' : 'merge',
        stakeholder: l.stakeholder,
        wallet: l.wallet,
        condition_id: l.conditionId,
        amount: l.amount,
      };
    case 'NrPayoutRedemption':
      return {
        ...nr,
        kind: 'redeem',
        stakeholder: l.redeemer,
        wallet: l.wallet,
        condition_id: l.conditionId,
        amounts: l.amounts,
        amount: 0n,
        payout: l.payout,
      };
    case 'NrPositionsConverted':
      return { ...nr, kind: 'convert', stakeholder: l.stakeholder, wallet: l.wallet, condition_id: l.marketId, index_sets: [l.indexSet], amount: l.amount };
    default:
      return null;
  }
}

/** The CTF collateral of a V1 exchange's tokens. */
const registryCollateral = (exchange: string): Address | null =>
  exchange === CTF_EXCHANGE_V1 ? USDC_E : exchange === NEG_RISK_EXCHANGE_V1 ? WRAPPED_COLLATERAL : null;

/** The outcome tokens a prepared condition defines; more than 8 outcomes is no Polymarket market. */
function ctfClaims(l: Extract<WorldLog, { kind: 'ConditionPreparation' }>, block: number): TokenClaimRow[] {
  const n = Number(l.outcomeSlotCount);
  if (n < 2 || n > 8) return [];
  const ids = outcomeTokenIds(l.oracle === NEG_RISK_ADAPTER ? WRAPPED_COLLATERAL : USDC_E, l.conditionId, n);
  return ids.map((id, i) => ({
    token_id: id.toString(),
    source: 'ctf',
    condition_id: lc(l.conditionId),
    outcome_index: i,
    outcome: '',
    complement_id: n === 2 ? String(ids[1 - i]) : '',
    winner: null,
    exchange: '',
    block_number: block,
  }));
}

function walletRow(tx: EmittedTx, l: WorldLog): WalletRow | null {
  const at = { block_number: tx.blockNumber, transaction_hash: tx.hash };
  if (l.kind === 'SafeProxyCreation' && l.address === POLYMARKET_SAFE_FACTORY) {
    return { proxy: lc(l.proxy), owner: lc(l.owner), kind: 'safe', factory: POLYMARKET_SAFE_FACTORY, ...at };
  }
  if (l.kind === 'TransactionRelayed' && l.wallet !== null) {
    return { proxy: lc(l.wallet), owner: lc(l.from), kind: 'proxy', factory: POLYMARKET_PROXY_FACTORY, ...at };
  }
  return null;
}

export function expectedFrom(txs: readonly EmittedTx[], chain: { firstBlock: number; head: { block: number; timestamp: number } }): ExpectedWorld {
  const out: ExpectedWorld = { fills: [], activity: [], conditions: [], negRiskQuestions: [], tokenClaims: [], wallets: [], logCounts: {}, ...chain };
  const conditions = new Map<string, ConditionRow>();
  const wallets = new Map<string, WalletRow>();
  const ordered = [...txs].sort((a, b) => a.blockNumber - b.blockNumber || (a.logs[0]?.logIndex ?? 0) - (b.logs[0]?.logIndex ?? 0));
  for (const tx of ordered) {
    for (const { log: l, logIndex } of tx.logs) {
      out.logCounts[l.kind] = (out.logCounts[l.kind] ?? 0) + 1;
      const pos = { block_number: tx.blockNumber, log_index: logIndex };
      if (l.kind === 'OrderFilledV1' || l.kind === 'OrderFilledV2') out.fills.push(fillRow(tx, logIndex, l));
      const a = activityFields(l);
      if (a) {
        out.activity.push({
          event_id: `${tx.hash}_${logIndex}`,
          kind: a.kind,
          contract: lc(l.address),
          stakeholder: lc(a.stakeholder),
          wallet: lc(a.wallet),
          collateral: lc(a.collateral),
          condition_id: lc(a.condition_id),
          index_sets: strings(a.index_sets),
          amounts: strings(a.amounts),
          amount: a.amount.toString(),
          payout: a.payout.toString(),
          ...pos,
          timestamp: tx.timestamp,
          transaction_hash: tx.hash,
        });
      }
      if (l.kind === 'ConditionPreparation' || l.kind === 'ConditionResolution') {
        const resolved = l.kind === 'ConditionResolution';
        const payouts = resolved ? l.payoutNumerators : [];
        if (!resolved) out.tokenClaims.push(...ctfClaims(l, tx.blockNumber));
        conditions.set(lc(l.conditionId), {
          condition_id: lc(l.conditionId),
          oracle: lc(l.oracle),
          question_id: lc(l.questionId),
          outcome_slot_count: Number(l.outcomeSlotCount),
          payout_numerators: strings(payouts),
          payout_denominator: payouts.reduce((x, y) => x + y, 0n).toString(),
          resolved_at: resolved ? tx.timestamp : null,
          ...pos,
          transaction_hash: tx.hash,
        });
      }
      if (l.kind === 'QuestionPrepared') {
        out.negRiskQuestions.push({
          market_id: lc(l.marketId),
          question_id: lc(l.questionId),
          question_index: Number(l.index),
          condition_id: conditionIdOf(l.address, l.questionId, 2),
          ...pos,
        });
      }
      const wallet = walletRow(tx, l);
      // Chain order: the first row of a proxy is its earliest.
      if (wallet && !wallets.has(wallet.proxy)) wallets.set(wallet.proxy, wallet);
      if (l.kind === 'TokenRegistered') {
        const collateral = registryCollateral(l.address);
        const ids = collateral ? outcomeTokenIds(collateral, l.conditionId, 2) : [];
        const index = ids.indexOf(l.token0);
        out.tokenClaims.push({
          token_id: l.token0.toString(),
          source: 'registry',
          condition_id: lc(l.conditionId),
          outcome_index: index < 0 ? null : index,
          outcome: '',
          complement_id: l.token1.toString(),
          winner: null,
          exchange: lc(l.address),
          block_number: tx.blockNumber,
        });
      }
    }
  }
  out.conditions = [...conditions.values()];
  out.wallets = [...wallets.values()].sort((a, b) => (a.proxy < b.proxy ? -1 : 1));
  return out;
}
