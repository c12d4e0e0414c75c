import { tokenClaimRowSchema } from '#shared/model/ledger.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import { decodeOrderFilledLog } from '#shared/sources/chain/decode.ts';
import { PROTOCOL_V2_EXCHANGE } from './addresses.ts';
import { stageRow, type LogDecoder } from './log.ts';

/*
 * Polymarket's "Protocol V2" exchange (PROTOCOL_V2_EXCHANGE; polymarket-v2-external,
 * src/exchange/Exchange.sol) emits the V2 `OrderFilled` with the same topic0 as
 * the CTF V2 exchanges, but its `tokenId` is a PositionManager position id, not
 * a CTF token id: that repository's docs/position-ids.md lays it out as [module 8 | base hash 128 | arity 16 |
 * reserved 64 | resolution chain 16 | condition index 16 | outcome 8], high
 * bit first. The condition is the id with its low byte cleared; the outcome
 * is the low byte. Such a condition is Protocol V2's own, not a CTF condition.
 */

/** Bits 40..103 of a Protocol V2 position id are reserved and zero (Polymarket's clients classify ids this way). */
const RESERVED_BITS = ((1n << 64n) - 1n) << 40n;

export function isProtocolV2PositionId(id: bigint): boolean {
  return (id & RESERVED_BITS) === 0n;
}

/** The Protocol V2 condition (as 32-byte hex, outcome byte zero) and outcome index of a position id. */
export function protocolV2Position(id: bigint): { conditionId: string; outcomeIndex: number } {
  const condition = id & ~0xffn;
  return { conditionId: `0x${condition.toString(16).padStart(64, '0')}`, outcomeIndex: Number(id & 0xffn) };
}

/**
 * A Protocol V2 fill: the fill as the V2 decoder reads it (its `exchange`
 * column tells the namespace apart), and a claim that maps its token by the
 * position id's own scheme, source 'protocol-v2'.
 */
export const decodeProtocolV2OrderFilledLog: LogDecoder = (log, timestamp) => {
  const fill = decodeOrderFilledLog(log, timestamp);
  if (fill.table !== 'fills') return [fill];
  const id = BigInt(fill.row.token_id);
  const records: StagedRecord[] = [fill];
  if (isProtocolV2PositionId(id)) {
    const { conditionId, outcomeIndex } = protocolV2Position(id);
    records.push(
      stageRow(
        'token_claims',
        tokenClaimRowSchema,
        {
          token_id: fill.row.token_id,
          source: 'protocol-v2',
          condition_id: conditionId,
          outcome_index: outcomeIndex,
          outcome: '',
          complement_id: '',
          winner: null,
          exchange: PROTOCOL_V2_EXCHANGE,
          block_number: fill.row.block_number,
        },
        log,
      ),
    );
  }
  return records;
};
