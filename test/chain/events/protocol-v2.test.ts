import { describe, expect, it } from 'vitest';
import { createEventCatalogue, isProtocolV2PositionId, PROTOCOL_V2_EXCHANGE, protocolV2Position } from '#shared/sources/chain/events/index.ts';
import { makeLog, TIME } from './support.ts';

/** Written out here, apart from the product: polymarket-v2-external src/exchange/Exchange.sol. */
const V2_ORDER_FILLED =
  'event OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint8 side, uint256 tokenId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee, bytes32 builder, bytes32 metadata)';

/** A position id by docs/position-ids.md: [module 8 | base hash 128 | arity 16 | reserved 64 | chain 16 | condition index 16 | outcome 8]. */
function positionId(module: bigint, baseHash: bigint, arity: bigint, conditionIndex: bigint, outcome: bigint): bigint {
  return (module << 248n) | (baseHash << 120n) | (arity << 104n) | (conditionIndex << 8n) | outcome;
}

describe('the Protocol V2 exchange', () => {
  const id = positionId(1n, 0xabcdef0123456789abcdef0123456789n, 2n, 0n, 1n);
  const fill = makeLog(V2_ORDER_FILLED, PROTOCOL_V2_EXCHANGE, {
    orderHash: `0x${'11'.repeat(32)}`,
    maker: `0x${'aa'.repeat(20)}`,
    taker: `0x${'bb'.repeat(20)}`,
    side: 0,
    tokenId: id,
    makerAmountFilled: 400_000n,
    takerAmountFilled: 1_000_000n,
    fee: 0n,
    builder: `0x${'00'.repeat(32)}`,
    metadata: `0x${'00'.repeat(32)}`,
  });

  it('tells its position ids from CTF token ids by the reserved bits, and splits condition and outcome', () => {
    expect(isProtocolV2PositionId(id)).toBe(true);
    // A CTF token id is a keccak hash: its reserved bits are not all zero.
    expect(isProtocolV2PositionId(0x9c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8n)).toBe(false);
    expect(protocolV2Position(id)).toEqual({ conditionId: `0x${(id - 1n).toString(16).padStart(64, '0')}`, outcomeIndex: 1 });
  });

  it('stages its fills under its own exchange, with a claim by the id own scheme, next to the CTF exchanges in one catalogue', () => {
    const catalogue = createEventCatalogue({ v1Fills: true, adapters: [] });
    expect(catalogue.addresses).toContain(PROTOCOL_V2_EXCHANGE);
    const records = catalogue.decode(fill, TIME);
    expect(records.map((r) => r.table)).toEqual(['fills', 'token_claims']);
    const [staged, claim] = records;
    expect(staged?.row).toMatchObject({ exchange: PROTOCOL_V2_EXCHANGE, token_id: id.toString(), side: 'BUY', usdc_amount: '400000' });
    expect(claim?.row).toMatchObject({ token_id: id.toString(), source: 'protocol-v2', outcome_index: 1, condition_id: protocolV2Position(id).conditionId });
    expect(createEventCatalogue({ v1Fills: true, adapters: [], protocolV2Fills: false }).addresses).not.toContain(PROTOCOL_V2_EXCHANGE);
  });
});
