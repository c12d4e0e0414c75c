import type { Address } from 'viem';

/**
 * The one home of the Polygon contracts the product reads (the chain source,
 * the positions method, the simulated world). Sources: Polymarket/
 * polymarket-subgraph networks.yaml (matic: Exchange, NegRiskExchange,
 * ConditionalTokens, NegRiskAdapter, NegRiskWrappedCollateral, USDC),
 * Polymarket/ctf-exchange README (V1 CTF Exchange), Polymarket/neg-risk-ctf-adapter
 * addresses.json (137), and the V2 exchanges as Polymarket/ctf-exchange-v2's
 * README and Polymarket's V2 order clients name them (their EIP-712 verifying
 * contracts). All lower-case: logs and our tables are compared lower-case.
 */

/** V1 CTF Exchange (from block 33,605,403). */
export const CTF_EXCHANGE_V1: Address = '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e';
/** V1 NegRisk CTF Exchange (from block 50,505,492). */
export const NEG_RISK_EXCHANGE_V1: Address = '0xc5d563a36ae78145c45a50134d48a1215220f80a';
export const V1_EXCHANGES: readonly Address[] = [CTF_EXCHANGE_V1, NEG_RISK_EXCHANGE_V1];
/** CTF Exchange V2 (from block 84,902,353). */
export const CTF_EXCHANGE_V2: Address = '0xe111180000d2663c0091e4f400237545b87b996b';
/** NegRisk CTF Exchange V2. */
export const NEG_RISK_EXCHANGE_V2: Address = '0xe2222d279d744050d28e00520010520000310f59';
export const V2_EXCHANGES: readonly Address[] = [CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2];
/** First block of the V1 CTF Exchange: where reading V1 fills from the chain starts. */
export const V1_GENESIS_BLOCK = 33_605_403n;
/** First block of the V2 exchanges (CTF Exchange V2 deployment); nothing to read before it. */
export const V2_GENESIS_BLOCK = 84_902_353n;

/**
 * Polymarket's "Protocol V2" exchange (polymarket-v2-external,
 * src/exchange/Exchange.sol; deployment table in its README): its fills are
 * read by ./protocol-v2.ts.
 */
export const PROTOCOL_V2_EXCHANGE: Address = '0xe3333700ca9d93003f00f0f71f8515005f6c00aa';

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
