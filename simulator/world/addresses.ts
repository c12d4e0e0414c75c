import { keccak256, toBytes, type Address } from 'viem';

/**
 * Who the world's fixed actors are, besides the real contracts its fakes
 * stand in for (those live in #shared/sources/chain/events/addresses.ts; the
 * tests check them against their own constants). Every address lower-case,
 * as logs are compared.
 */

/**
 * NegRiskAdapter.NO_TOKEN_BURN_ADDRESS = address(bytes20(bytes32(keccak256("NO_TOKEN_BURN_ADDRESS")))):
 * the first 20 bytes of the hash (Polymarket/neg-risk-ctf-adapter src/NegRiskAdapter.sol).
 */
export const NO_TOKEN_BURN_ADDRESS = keccak256(toBytes('NO_TOKEN_BURN_ADDRESS')).slice(0, 42).toLowerCase() as Address;

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
