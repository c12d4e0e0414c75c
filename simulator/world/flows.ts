import type { Address, Hex } from 'viem';
import { CONDITIONAL_TOKENS, NEG_RISK_ADAPTER, USDC_E, WRAPPED_COLLATERAL, ZERO_ADDRESS, ZERO_BYTES32 } from '#shared/sources/chain/events/addresses.ts';
import { NO_TOKEN_BURN_ADDRESS } from './addresses.ts';
import type { TransferBatchLog, TransferSingleLog, WorldLog } from './logs.ts';
import type { NegRiskEvent, WorldMarket, WorldState } from './state.ts';

/**
 * The logs of position changes outside the exchanges, in the order the real
 * contracts emit them (gnosis ConditionalTokens splitPosition/mergePositions/
 * redeemPositions and ERC1155 mint/burn; neg-risk-ctf-adapter NegRiskAdapter
 * splitPosition/mergePositions/redeemPositions/convertPositions;
 * ctf-exchange-v2 CtfCollateralAdapter and NegRiskCtfCollateralAdapter).
 * ERC-20 logs (USDC.e, pUSD, WrappedCollateral) are left out: no reader of
 * the CTF, the adapter or the exchanges sees them.
 *
 * `direct`: the wallet calls the CTF or the NegRiskAdapter itself (V1 era).
 * `adapter`: a V2 collateral adapter calls them for the wallet, so the event
 * names the adapter and the wallet is the other side of the adapter's
 * ERC-1155 transfer in the same transaction. `wallet` may be an exchange
 * (its MINT and MERGE matches split and merge in its own name).
 */
export type Route = 'direct' | 'adapter';

const PARTITION = (): bigint[] => [1n, 2n];

const tb = (operator: Address, from: Address, to: Address, ids: bigint[], values: bigint[]): TransferBatchLog => ({
  kind: 'TransferBatch',
  address: CONDITIONAL_TOKENS,
  operator,
  from,
  to,
  ids,
  values,
});
const ts = (operator: Address, from: Address, to: Address, id: bigint, value: bigint): TransferSingleLog => ({
  kind: 'TransferSingle',
  address: CONDITIONAL_TOKENS,
  operator,
  from,
  to,
  id,
  value,
});
const ctfPosition = (stakeholder: Address, collateralToken: Address, conditionId: Hex, amount: bigint, wallet: Address) => ({
  address: CONDITIONAL_TOKENS,
  stakeholder,
  collateralToken,
  parentCollectionId: ZERO_BYTES32 as Hex,
  conditionId,
  partition: PARTITION(),
  amount,
  wallet,
});

/** Who calls the NegRiskAdapter: the wallet itself, or the NegRisk collateral adapter for it. */
const nrCaller = (s: WorldState, route: Route, wallet: Address): Address => (route === 'adapter' ? s.adapters.negRisk : wallet);

export interface FlowOptions {
  /** Update the wallet's balances (false for an exchange's own mint and merge). */
  track?: boolean;
}

/** Collateral → one full set (YES and NO, `amount` each) for `wallet`. */
export function splitLogs(s: WorldState, route: Route, wallet: Address, m: WorldMarket, amount: bigint, o: FlowOptions = {}): WorldLog[] {
  const ids = [...m.tokens];
  const both = [amount, amount];
  let logs: WorldLog[];
  if (!m.negRisk) {
    const actor = route === 'adapter' ? s.adapters.ctf : wallet;
    logs = [tb(actor, ZERO_ADDRESS, actor, ids, both), { kind: 'CtfPositionSplit', ...ctfPosition(actor, USDC_E, m.conditionId, amount, wallet) }];
    if (route === 'adapter') logs.push(tb(actor, actor, wallet, ids, both));
  } else {
    const caller = nrCaller(s, route, wallet);
    logs = [
      tb(NEG_RISK_ADAPTER, ZERO_ADDRESS, NEG_RISK_ADAPTER, ids, both),
      { kind: 'CtfPositionSplit', ...ctfPosition(NEG_RISK_ADAPTER, WRAPPED_COLLATERAL, m.conditionId, amount, NEG_RISK_ADAPTER) },
      tb(NEG_RISK_ADAPTER, NEG_RISK_ADAPTER, caller, ids, both),
      { kind: 'NrPositionSplit', address: NEG_RISK_ADAPTER, stakeholder: caller, conditionId: m.conditionId, amount, wallet },
    ];
    if (route === 'adapter') logs.push(tb(caller, caller, wallet, ids, both));
  }
  if (o.track !== false) for (const t of m.tokens) s.add(wallet, t, amount);
  return logs;
}

/** One full set of `wallet`'s positions → collateral. */
export function mergeLogs(s: WorldState, route: Route, wallet: Address, m: WorldMarket, amount: bigint, o: FlowOptions = {}): WorldLog[] {
  if (o.track !== false) for (const t of m.tokens) s.add(wallet, t, -amount);
  const ids = [...m.tokens];
  const both = [amount, amount];
  if (!m.negRisk) {
    const actor = route === 'adapter' ? s.adapters.ctf : wallet;
    const pull = route === 'adapter' ? [tb(actor, wallet, actor, ids, both)] : [];
    return [...pull, tb(actor, actor, ZERO_ADDRESS, ids, both), { kind: 'CtfPositionsMerge', ...ctfPosition(actor, USDC_E, m.conditionId, amount, wallet) }];
  }
  const caller = nrCaller(s, route, wallet);
  const pull = route === 'adapter' ? [tb(caller, wallet, caller, ids, both)] : [];
  return [
    ...pull,
    tb(NEG_RISK_ADAPTER, caller, NEG_RISK_ADAPTER, ids, both),
    tb(NEG_RISK_ADAPTER, NEG_RISK_ADAPTER, ZERO_ADDRESS, ids, both),
    { kind: 'CtfPositionsMerge', ...ctfPosition(NEG_RISK_ADAPTER, WRAPPED_COLLATERAL, m.conditionId, amount, NEG_RISK_ADAPTER) },
    { kind: 'NrPositionsMerge', address: NEG_RISK_ADAPTER, stakeholder: caller, conditionId: m.conditionId, amount, wallet },
  ];
}

/** The CTF's payout for stakes [YES, NO]: per index set, stake × numerator / denominator, truncated. */
export function payoutOf(m: WorldMarket, stakes: readonly bigint[]): bigint {
  const payouts = m.payouts;
  if (!payouts) throw new Error('world script bug: redeeming an unresolved market');
  const den = payouts.reduce((a, b) => a + b, 0n);
  return stakes.reduce((sum, stake, i) => sum + (stake * (payouts[i] ?? 0n)) / den, 0n);
}

/** Redeems all of `wallet`'s positions of a resolved market (a losing one pays 0). */
export function redeemLogs(s: WorldState, route: Route, wallet: Address, m: WorldMarket): { logs: WorldLog[]; payout: bigint } {
  const ids = [...m.tokens];
  const stakes = ids.map((t) => s.balance(wallet, t));
  const payout = payoutOf(m, stakes);
  for (const [i, t] of ids.entries()) s.add(wallet, t, -(stakes[i] as bigint));
  const burns = (operator: Address, holder: Address) =>
    ids.flatMap((id, i) => ((stakes[i] as bigint) > 0n ? [ts(operator, holder, ZERO_ADDRESS, id, stakes[i] as bigint)] : []));
  if (!m.negRisk) {
    const actor = route === 'adapter' ? s.adapters.ctf : wallet;
    const pull = route === 'adapter' ? [tb(actor, wallet, actor, ids, stakes)] : [];
    const redemption: WorldLog = {
      kind: 'CtfPayoutRedemption',
      address: CONDITIONAL_TOKENS,
      redeemer: actor,
      collateralToken: USDC_E,
      parentCollectionId: ZERO_BYTES32,
      conditionId: m.conditionId,
      indexSets: PARTITION(),
      payout,
      wallet,
    };
    return { logs: [...pull, ...burns(actor, actor), redemption], payout };
  }
  const caller = nrCaller(s, route, wallet);
  const pull = route === 'adapter' ? [tb(caller, wallet, caller, ids, stakes)] : [];
  const logs: WorldLog[] = [
    ...pull,
    tb(NEG_RISK_ADAPTER, caller, NEG_RISK_ADAPTER, ids, stakes),
    ...burns(NEG_RISK_ADAPTER, NEG_RISK_ADAPTER),
    {
      kind: 'CtfPayoutRedemption',
      address: CONDITIONAL_TOKENS,
      redeemer: NEG_RISK_ADAPTER,
      collateralToken: WRAPPED_COLLATERAL,
      parentCollectionId: ZERO_BYTES32,
      conditionId: m.conditionId,
      indexSets: PARTITION(),
      payout,
      wallet: NEG_RISK_ADAPTER,
    },
    { kind: 'NrPayoutRedemption', address: NEG_RISK_ADAPTER, redeemer: caller, conditionId: m.conditionId, amounts: stakes, payout, wallet },
  ];
  return { logs, payout };
}

/**
 * NegRiskAdapter.convertPositions with fee 0: the NO positions of the
 * questions in `indexSet` become YES positions of every other question (and
 * collateral). The adapter splits each other question, sends every NO to the
 * burn address, then the YES positions to the caller.
 */
export function convertLogs(s: WorldState, route: Route, wallet: Address, ev: NegRiskEvent, indexSet: bigint, amount: bigint): WorldLog[] {
  const inSet = (i: number) => ((indexSet >> BigInt(i)) & 1n) === 1n;
  const given = ev.questions.filter((_, i) => inSet(i));
  const others = ev.questions.filter((_, i) => !inSet(i));
  const each = (n: number) => Array.from({ length: n }, () => amount);
  const caller = nrCaller(s, route, wallet);
  const noIds = given.map((q) => q.tokens[1]);
  const yesIds = others.map((q) => q.tokens[0]);
  const logs: WorldLog[] = route === 'adapter' ? [tb(caller, wallet, caller, noIds, each(noIds.length))] : [];
  for (const q of others) {
    logs.push(tb(NEG_RISK_ADAPTER, ZERO_ADDRESS, NEG_RISK_ADAPTER, [...q.tokens], [amount, amount]));
    logs.push({ kind: 'CtfPositionSplit', ...ctfPosition(NEG_RISK_ADAPTER, WRAPPED_COLLATERAL, q.conditionId, amount, NEG_RISK_ADAPTER) });
  }
  logs.push(tb(NEG_RISK_ADAPTER, caller, NO_TOKEN_BURN_ADDRESS, noIds, each(noIds.length)));
  // The contract makes this call even when no question is left to convert into: an empty batch.
  logs.push(
    tb(
      NEG_RISK_ADAPTER,
      NEG_RISK_ADAPTER,
      NO_TOKEN_BURN_ADDRESS,
      others.map((q) => q.tokens[1]),
      each(others.length),
    ),
  );
  if (others.length > 0) logs.push(tb(NEG_RISK_ADAPTER, NEG_RISK_ADAPTER, caller, yesIds, each(yesIds.length)));
  logs.push({ kind: 'NrPositionsConverted', address: NEG_RISK_ADAPTER, stakeholder: caller, marketId: ev.marketId, indexSet, amount, wallet });
  if (route === 'adapter' && others.length > 0) logs.push(tb(caller, caller, wallet, yesIds, each(yesIds.length)));
  for (const id of noIds) s.add(wallet, id, -amount);
  for (const id of yesIds) s.add(wallet, id, amount);
  return logs;
}

/** A plain ERC-1155 transfer between wallets: moves positions, is no trade and no activity. */
export function transferLogs(s: WorldState, from: Address, to: Address, token: bigint, value: bigint): WorldLog[] {
  s.add(from, token, -value);
  s.add(to, token, value);
  return [ts(from, from, to, token, value)];
}
