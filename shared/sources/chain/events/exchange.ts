import type { Address, Hex } from 'viem';
import { outcomeTokenId } from '#shared/model/ctf-ids.ts';
import { fillRowSchema } from '#shared/model/fill.ts';
import { tokenClaimRowSchema, type TokenClaimRow } from '#shared/model/ledger.ts';
import { orderFilledRow } from '#shared/sources/chain/decode.ts';
import { TOKEN_REGISTERED_EVENT, V1_ORDER_FILLED_EVENT } from './abi.ts';
import { chainReject, decodeArgs, guarded, logPosition, stageRow, validTimestamp, type LogDecoder } from './log.ts';

/**
 * V1 `OrderFilled` → one `fills` row, legs exactly as emitted (asset id 0 is
 * USDC), the maker's view derived as the orderbook subgraph does. Same id
 * scheme as V2 (`<tx hash>_<log index>`), so one fill read twice is one row.
 */
export const decodeV1OrderFilledLog: LogDecoder = (log, timestamp) =>
  guarded(log, () => {
    const pos = logPosition(log);
    if (typeof pos === 'string') return [chainReject(pos, log)];
    const time = validTimestamp(timestamp);
    if (time === null) return [chainReject('no block timestamp for the log', log)];
    const args = decodeArgs(V1_ORDER_FILLED_EVENT, log);
    if (typeof args === 'string') return [chainReject(args, log)];

    const legs = {
      makerAssetId: args.makerAssetId.toString(),
      takerAssetId: args.takerAssetId.toString(),
      makerAmountFilled: args.makerAmountFilled.toString(),
      takerAmountFilled: args.takerAmountFilled.toString(),
    };
    const row = orderFilledRow({ ...pos, timestamp: time }, args, legs);
    if (typeof row === 'string') return [chainReject(row, log)];
    return [stageRow('fills', fillRowSchema, row, log)];
  });

/**
 * Outcome ids of recent conditions: the exchange registers a pair as two
 * events in a row, so one computation serves both. Bounded; cleared when full.
 */
const OUTCOME_CACHE_LIMIT = 4096;
const outcomeCache = new Map<string, readonly [bigint, bigint]>();

function binaryOutcomeIds(collateral: Address, conditionId: Hex): readonly [bigint, bigint] {
  const key = `${collateral}:${conditionId}`;
  const hit = outcomeCache.get(key);
  if (hit) return hit;
  const ids = [outcomeTokenId(collateral, conditionId, 0), outcomeTokenId(collateral, conditionId, 1)] as const;
  if (outcomeCache.size >= OUTCOME_CACHE_LIMIT) outcomeCache.clear();
  outcomeCache.set(key, ids);
  return ids;
}

/**
 * `TokenRegistered` → one `token_claims` row (source `registry`) for the
 * announced `token0`, with `token1` as its complement. The exchange emits the
 * pair twice, once per token, so each token gets its own claim.
 *
 * `collateral` is the CTF collateral the exchange's tokens are positions of
 * (USDC.e for the CTF exchange, WrappedCollateral for the NegRisk exchange;
 * token ids are the same in both eras). The outcome index is the i whose
 * position id `outcomeTokenId(collateral, conditionId, i)` equals the token;
 * when neither outcome of a binary condition matches (another collateral, or
 * a condition with more slots) the registry does not say, and it stays null.
 * Labels come from the market lists, so `outcome` is '' and `winner` null.
 */
export function tokenRegisteredDecoder(collateral: Address): LogDecoder {
  const ctfCollateral = collateral.toLowerCase() as Address;
  return (log) =>
    guarded(log, () => {
      const pos = logPosition(log);
      if (typeof pos === 'string') return [chainReject(pos, log)];
      const args = decodeArgs(TOKEN_REGISTERED_EVENT, log);
      if (typeof args === 'string') return [chainReject(args, log)];

      const [yes, no] = binaryOutcomeIds(ctfCollateral, args.conditionId);
      const outcomeIndex = args.token0 === yes ? 0 : args.token0 === no ? 1 : null;
      const row: TokenClaimRow = {
        token_id: args.token0.toString(),
        source: 'registry',
        condition_id: args.conditionId.toLowerCase(),
        outcome_index: outcomeIndex,
        outcome: '',
        complement_id: args.token1.toString(),
        winner: null,
        exchange: pos.address,
        block_number: pos.blockNumber,
      };
      return [stageRow('token_claims', tokenClaimRowSchema, row, log)];
    });
}
