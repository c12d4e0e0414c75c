import { keccak256, toBytes, type Address } from 'viem';

/**
 * Where the world's fakes live and who its fixed actors are. The contract
 * addresses are Polygon's real ones (stated here on their own, not imported
 * from the reader, so a wrong constant on either side shows up as a
 * mismatch); every address is lower-case, as logs are compared.
 */

/** V1 CTF Exchange (Polymarket/ctf-exchange README, Polygon). */
export const CTF_EXCHANGE_V1: Address = '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e';
/** V1 NegRisk CTF Exchange. */
export const NEG_RISK_EXCHANGE_V1: Address = '0xc5d563a36ae78145c45a50134d48a1215220f80a';
/** CTF Exchange V2 (Polymarket/ctf-exchange-v2 README, deployed contracts). */
export const CTF_EXCHANGE_V2: Address = '0xe111180000d2663c0091e4f400237545b87b996b';
/** NegRisk CTF Exchange V2. */
export const NEG_RISK_EXCHANGE_V2: Address = '0xe2222d279d744050d28e00520010520000310f59';
/** Gnosis ConditionalTokens, Polymarket's deployment. */
export const CONDITIONAL_TOKENS: Address = '0x4d97dcd97ec945f40cf65f87097ace5ea0476045';
/** Polymarket's NegRiskAdapter. */
export const NEG_RISK_ADAPTER: Address = '0xd91e80cf2e7be2e162c6513ced06f1dd0da35296';
/** USDC.e: the CTF collateral of standard markets (V2 adapters unwrap pUSD into it). */
export const USDC_E: Address = '0x2791bca1f2de4661ed88a30c99a7a9449aa84174';
/** WrappedCollateral (NegRiskAdapter.wcol): the CTF collateral of every NegRisk position. */
export const WRAPPED_COLLATERAL: Address = '0x3a3bd7bb9528e159577f7c2e685cc81a765002e2';

export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
export const ZERO_BYTES32 = `0x${'0'.repeat(64)}` as const;

/**
 * NegRiskAdapter.NO_TOKEN_BURN_ADDRESS = address(bytes20(bytes32(keccak256("NO_TOKEN_BURN_ADDRESS")))):
 * the first 20 bytes of the hash (Polymarket/neg-risk-ctf-adapter src/NegRiskAdapter.sol).
 */
export const NO_TOKEN_BURN_ADDRESS = keccak256(toBytes('NO_TOKEN_BURN_ADDRESS')).slice(0, 42).toLowerCase() as Address;

/** The V1 CTF Exchange's first block: where the world starts. */
export const V1_START_BLOCK = 33_605_403n;

/**
 * The collateral adapters V2 routes pUSD splits, merges, redemptions and
 * conversions through (ctf-exchange-v2 src/adapters/CtfCollateralAdapter.sol,
 * NegRiskCtfCollateralAdapter.sol). Placeholders: the real addresses are
 * configuration (public sources disagree), so a reader must take them from
 * its settings (CHAIN_ADAPTERS), never from a constant.
 */
export interface WorldAdapters {
  /** Routes standard markets to the CTF (stakeholder of the CTF's events). */
  ctf: Address;
  /** Routes NegRisk markets to the NegRiskAdapter (stakeholder of the adapter's events). */
  negRisk: Address;
}

export const WORLD_ADAPTERS: WorldAdapters = {
  ctf: '0xada1000000000000000000000000000000000001',
  negRisk: '0xada2000000000000000000000000000000000002',
};

/** Fixed actors of the world, all placeholders. */
export const WORLD_ACTORS = {
  /** Oracle of standard markets (in reality the UMA CTF adapter). */
  umaOracle: '0x00000000000000000000000000000000000a0c1e' as Address,
  /** Who prepares NegRisk markets (MarketPrepared's oracle; in reality the NegRiskOperator). */
  negRiskOperator: '0x00000000000000000000000000000000000a0c2e' as Address,
  /** Exchange operator: fee receiver and taker of a direct fillOrder. */
  operator: '0x000000000000000000000000000000000000090e' as Address,
  /** Where the fake batcher runs (it emits nothing itself). */
  batcher: '0x000000000000000000000000000000000000ba7c' as Address,
} as const;
