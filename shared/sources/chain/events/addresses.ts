import type { Address } from 'viem';

/**
 * Polygon contracts whose events the chain source reads, besides the V2
 * exchanges (../abi.ts). Sources: Polymarket/polymarket-subgraph networks.yaml
 * (matic: Exchange, NegRiskExchange, ConditionalTokens, NegRiskAdapter,
 * NegRiskWrappedCollateral, USDC) and Polymarket/neg-risk-ctf-adapter
 * addresses.json (137). All lower-case: logs are compared lower-case.
 */

/** V1 CTF Exchange (from block 33,605,403). */
export const CTF_EXCHANGE_V1: Address = '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e';
/** V1 NegRisk CTF Exchange (from block 50,505,492). */
export const NEG_RISK_EXCHANGE_V1: Address = '0xc5d563a36ae78145c45a50134d48a1215220f80a';
/** Gnosis ConditionalTokens, Polymarket's deployment. */
export const CONDITIONAL_TOKENS: Address = '0x4d97dcd97ec945f40cf65f87097ace5ea0476045';
/** NegRiskAdapter (from block 50,505,403). */
export const NEG_RISK_ADAPTER: Address = '0xd91e80cf2e7be2e162c6513ced06f1dd0da35296';
/** USDC.e, the CTF collateral of standard markets. */
export const USDC_E: Address = '0x2791bca1f2de4661ed88a30c99a7a9449aa84174';
/** WrappedCollateral, the CTF collateral of every NegRisk position (NegRiskAdapter.wcol). */
export const WRAPPED_COLLATERAL: Address = '0x3a3bd7bb9528e159577f7c2e685cc81a765002e2';

export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
export const ZERO_BYTES32 = `0x${'0'.repeat(64)}` as const;

/**
 * The V2 collateral adapters: pUSD splits, merges and redemptions reach the
 * CTF and the NegRiskAdapter through them, so events name them instead of the
 * wallet. Two pairs appear as stakeholders in public sources (docs/CONTRACTS.md
 * section 3): the exchange-bound pair in Polymarket/ctf-exchange-v2's README
 * and the user-facing pair in Polymarket's SDK configuration. The default
 * reads both; CHAIN_ADAPTERS replaces the list.
 */
export const V2_COLLATERAL_ADAPTERS: readonly Address[] = [
  '0xada100874d00e3331d00f2007a9c336a65009718',
  '0xada200001000ef00d07553cee7006808f895c6f1',
  '0xada100db00ca00073811820692005400218fce1f',
  '0xada2005600dec949baf300f4c6120000bdb6eaab',
];
