import { CTF_EXCHANGE_V1, CTF_EXCHANGE_V2, NEG_RISK_ADAPTER, NEG_RISK_EXCHANGE_V1, NEG_RISK_EXCHANGE_V2 } from '#shared/sources/chain/events/addresses.ts';

/** The Polygon contracts the positions method tells apart; their home is the chain source's addresses.ts. */
export {
  CONDITIONAL_TOKENS,
  CTF_EXCHANGE_V1,
  CTF_EXCHANGE_V2,
  NEG_RISK_ADAPTER,
  NEG_RISK_EXCHANGE_V1,
  NEG_RISK_EXCHANGE_V2,
  USDC_E,
  WRAPPED_COLLATERAL,
} from '#shared/sources/chain/events/addresses.ts';

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
