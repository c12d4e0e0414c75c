import type { Address } from 'viem';

/**
 * The Polygon contracts the positions method tells apart. V1 addresses from
 * Polymarket/polymarket-subgraph networks.yaml (matic); the V2 exchanges as
 * Polymarket's V2 order clients name them (their EIP-712 verifying contracts).
 * All lower-case, as our tables store them.
 */
export const CONDITIONAL_TOKENS: Address = '0x4d97dcd97ec945f40cf65f87097ace5ea0476045';
export const NEG_RISK_ADAPTER: Address = '0xd91e80cf2e7be2e162c6513ced06f1dd0da35296';
/** NegRiskAdapter.wcol: the CTF collateral of every NegRisk position. */
export const WRAPPED_COLLATERAL: Address = '0x3a3bd7bb9528e159577f7c2e685cc81a765002e2';
/** The subgraph's standard-market collateral (common/utils/getPositionId.ts). */
export const USDC_E: Address = '0x2791bca1f2de4661ed88a30c99a7a9449aa84174';

export const CTF_EXCHANGE_V1: Address = '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e';
export const NEG_RISK_EXCHANGE_V1: Address = '0xc5d563a36ae78145c45a50134d48a1215220f80a';
export const CTF_EXCHANGE_V2: Address = '0xe111180000d2663c0091e4f400237545b87b996b';
export const NEG_RISK_EXCHANGE_V2: Address = '0xe2222d279d744050d28e00520010520000310f59';

/**
 * Whose activity the method leaves out, per contract that emitted it.
 * pnl-subgraph/src/ConditionalTokensMapping.ts skips CTF splits and merges
 * by the NegRiskAdapter or the (CTF) Exchange, and CTF redemptions by the
 * NegRiskAdapter; NegRiskAdapterMapping.ts skips adapter splits and merges
 * by the NegRisk Exchange. The V2 exchanges take the place of their V1
 * counterparts.
 */
export interface SkipRules {
  ctfSplitMerge: ReadonlySet<string>;
  ctfRedeem: ReadonlySet<string>;
  negRiskSplitMerge: ReadonlySet<string>;
}

export const DEFAULT_SKIP_RULES: SkipRules = {
  ctfSplitMerge: new Set([NEG_RISK_ADAPTER, CTF_EXCHANGE_V1, CTF_EXCHANGE_V2]),
  ctfRedeem: new Set([NEG_RISK_ADAPTER]),
  negRiskSplitMerge: new Set([NEG_RISK_EXCHANGE_V1, NEG_RISK_EXCHANGE_V2]),
};
