import { shareOfAllowance } from '#shared/sources/pacing.ts';
import { V1_GENESIS_BLOCK, V2_GENESIS_BLOCK } from './events/addresses.ts';
import { orderFilledCatalogue, type LogCatalogue } from './catalogue.ts';
import { V2_COLLATERAL_ADAPTERS } from './events/addresses.ts';
import { createEventCatalogue } from './events/index.ts';
import { decodeWalletLog, WALLET_LOG_SOURCES } from './events/wallets.ts';
import type { ChainSourceOptions } from './index.ts';

/** The pipeline settings (shared/config.ts) the chain source reads. */
export interface ChainSettings {
  POLYGON_RPC_URL: string;
  CHAIN_CONFIRMATIONS: number;
  CHAIN_USE_FINALIZED: boolean;
  SOURCE_TIMEOUT_MS: number;
  SOURCE_MAX_RETRIES: number;
  CHAIN_MAX_BLOCK_SPAN?: number | undefined;
  CHAIN_MAX_LOGS_PER_REQUEST?: number | undefined;
  CHAIN_GENESIS_BLOCK?: number | undefined;
  CHAIN_EXCHANGES?: readonly string[] | undefined;
  CHAIN_V1_FILLS?: boolean | undefined;
  CHAIN_ACTIVITY?: boolean | undefined;
  CHAIN_ADAPTERS?: readonly string[] | undefined;
  CHAIN_ROWS_PER_SHARD?: number | undefined;
  CHAIN_LOGS_PER_BLOCK?: number | undefined;
  CHAIN_BLOCK_BATCH_SIZE?: number | undefined;
  CHAIN_INFER_TIMESTAMPS?: boolean | undefined;
  CHAIN_REQUESTS_PER_SECOND?: number | undefined;
  SOURCE_RATE_SHARED_BY?: number | undefined;
}

/**
 * What the chain reads, from the settings:
 * - CHAIN_EXCHANGES set: only the V2 `OrderFilled` of those contracts (the
 *   narrow reader earlier versions had);
 * - otherwise V2 fills, V1 fills unless CHAIN_V1_FILLS=false, and with
 *   CHAIN_ACTIVITY (default) everything positions need: token registrations,
 *   conditions and resolutions, splits, merges, redemptions, conversions,
 *   NegRisk questions and proxy-wallet creations.
 */
export function catalogueFromSettings(s: ChainSettings): LogCatalogue {
  if (s.CHAIN_EXCHANGES) return orderFilledCatalogue(s.CHAIN_EXCHANGES);
  const activity = s.CHAIN_ACTIVITY ?? true;
  return createEventCatalogue({
    v1Fills: s.CHAIN_V1_FILLS ?? true,
    activity,
    tokenRegistry: activity,
    adapters: s.CHAIN_ADAPTERS ?? V2_COLLATERAL_ADAPTERS,
    extraDecoders: activity ? WALLET_LOG_SOURCES.map((w) => ({ address: w.address, topic0: w.topic0, decode: (log) => decodeWalletLog(log) })) : [],
  });
}

/**
 * Where a first run starts: CHAIN_GENESIS_BLOCK, else the V1 exchange's first
 * block when V1 fills come from the chain, else the V2 exchanges' first block.
 */
export function genesisFromSettings(s: ChainSettings): bigint {
  if (s.CHAIN_GENESIS_BLOCK !== undefined) return BigInt(s.CHAIN_GENESIS_BLOCK);
  return (s.CHAIN_V1_FILLS ?? true) && !s.CHAIN_EXCHANGES ? V1_GENESIS_BLOCK : V2_GENESIS_BLOCK;
}

/** Maps the pipeline's settings to source options. */
export function chainSourceOptionsFromSettings(s: ChainSettings): ChainSourceOptions {
  return {
    rpcUrl: s.POLYGON_RPC_URL,
    catalogue: catalogueFromSettings(s),
    confirmations: s.CHAIN_CONFIRMATIONS,
    useFinalized: s.CHAIN_USE_FINALIZED,
    timeoutMs: s.SOURCE_TIMEOUT_MS,
    maxRetries: s.SOURCE_MAX_RETRIES,
    maxBlockSpan: s.CHAIN_MAX_BLOCK_SPAN,
    maxLogsPerRequest: s.CHAIN_MAX_LOGS_PER_REQUEST,
    genesisBlock: genesisFromSettings(s),
    targetRowsPerShard: s.CHAIN_ROWS_PER_SHARD,
    logsPerBlock: s.CHAIN_LOGS_PER_BLOCK,
    blockBatchSize: s.CHAIN_BLOCK_BATCH_SIZE,
    inferTimestamps: s.CHAIN_INFER_TIMESTAMPS,
    pace: shareOfAllowance('chain', s.CHAIN_REQUESTS_PER_SECOND, s.SOURCE_RATE_SHARED_BY ?? 1),
  };
}
