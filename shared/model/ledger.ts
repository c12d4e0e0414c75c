import { z } from 'zod';
import { decimalUint256 } from './fill.ts';

/**
 * Rows the chain and the market lists stage besides fills: which condition a
 * token belongs to (one claim per source), resolutions, position-changing
 * activity, NegRisk questions and proxy wallets. Each is one table in
 * ClickHouse (see warehouse/migrations.ts); field names are its columns.
 */

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex');
const address = z.string().regex(/^0x[0-9a-f]{40}$/, 'must be 0x + 40 lower-case hex');
const block = z.number().int().nonnegative();

/** Who said which condition and outcome a token belongs to. */
/**
 * 'ctf': derived from the condition's preparation on the CTF (position ids of its outcomes);
 * 'protocol-v2': read from a Protocol V2 position id itself (its own condition and outcome, not a CTF condition).
 */
export const TOKEN_CLAIM_SOURCES = ['registry', 'ctf', 'protocol-v2', 'clob', 'gamma', 'subgraph'] as const;
export type TokenClaimSource = (typeof TOKEN_CLAIM_SOURCES)[number];

/**
 * One source's claim about one token. `outcome_index` is null when the
 * source does not say (or, for the registry, when the token id is not the
 * position id of either outcome under a known collateral); `outcome` is the
 * label ("Yes") or "" when unknown; `winner` is the CLOB's flag, null elsewhere.
 */
export const tokenClaimRowSchema = z.object({
  token_id: decimalUint256,
  source: z.enum(TOKEN_CLAIM_SOURCES),
  condition_id: hex32,
  outcome_index: z.number().int().min(0).max(255).nullable(),
  outcome: z.string(),
  complement_id: z.union([decimalUint256, z.literal('')]),
  winner: z.boolean().nullable(),
  /** Registry claims: where the exchange announced it; 0 for the lists. */
  exchange: z.union([address, z.literal('')]),
  block_number: block,
});
export type TokenClaimRow = z.infer<typeof tokenClaimRowSchema>;

/**
 * A condition as the CTF records it. Preparation gives the oracle, question
 * and slot count; resolution adds payouts. An unresolved condition has empty
 * payouts, denominator 0 and resolved_at null.
 */
export const conditionRowSchema = z.object({
  condition_id: hex32,
  oracle: z.union([address, z.literal('')]),
  question_id: z.union([hex32, z.literal('')]),
  outcome_slot_count: z.number().int().min(0).max(256),
  payout_numerators: z.array(decimalUint256),
  payout_denominator: decimalUint256,
  /** Unix seconds of the resolving block; null until resolved. */
  resolved_at: z.number().int().nonnegative().nullable(),
  block_number: block,
  log_index: block,
  transaction_hash: z.union([hex32, z.literal('')]),
});
export type ConditionRow = z.infer<typeof conditionRowSchema>;

export const ACTIVITY_KINDS = ['split', 'merge', 'redeem', 'convert'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/**
 * One non-trade event that changes positions. `stakeholder` is who the event
 * names; `wallet` is the real owner (the other side of the ERC-1155 transfer
 * when the stakeholder is a collateral adapter, else the stakeholder).
 * `condition_id` holds the NegRisk market id for conversions.
 */
export const activityRowSchema = z.object({
  event_id: z.string().regex(/^0x[0-9a-f]{64}_[0-9]+$/),
  kind: z.enum(ACTIVITY_KINDS),
  contract: address,
  stakeholder: address,
  wallet: address,
  collateral: z.union([address, z.literal('')]),
  condition_id: hex32,
  /** CTF: the partition (split/merge) or index sets (redeem); NegRisk conversion: [indexSet]. */
  index_sets: z.array(decimalUint256),
  /** NegRisk redemption: amount per outcome. */
  amounts: z.array(decimalUint256),
  amount: decimalUint256,
  payout: decimalUint256,
  block_number: block,
  log_index: block,
  timestamp: block,
  transaction_hash: hex32,
});
export type ActivityRow = z.infer<typeof activityRowSchema>;

/** A question of a NegRisk market (NegRiskAdapter `QuestionPrepared`), with the condition the adapter prepared for it. */
export const negRiskQuestionRowSchema = z.object({
  market_id: hex32,
  question_id: hex32,
  question_index: z.number().int().min(0).max(255),
  condition_id: hex32,
  block_number: block,
  log_index: block,
});
export type NegRiskQuestionRow = z.infer<typeof negRiskQuestionRowSchema>;

/** A proxy wallet or Safe and the account that controls it, as the factory recorded it. */
export const walletRowSchema = z.object({
  proxy: address,
  owner: address,
  kind: z.enum(['proxy', 'safe']),
  factory: address,
  block_number: block,
  transaction_hash: hex32,
});
export type WalletRow = z.infer<typeof walletRowSchema>;

/** A block range the chain source read completely (one per page): what `check` proves has no holes. */
export const chainCoverageRowSchema = z.object({
  from_block: block,
  to_block: block,
});
export type ChainCoverageRow = z.infer<typeof chainCoverageRowSchema>;
