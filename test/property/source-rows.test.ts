import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeAbiParameters, encodeEventTopics, type Hex } from 'viem';
import { fillRowSchema } from '#shared/model/fill.ts';
import { subgraphFill } from '#shared/sources/subgraph/schema.ts';
import { decodeOrderFilledLog, type RpcLog } from '#shared/sources/chain/decode.ts';
import { ORDER_FILLED_EVENT } from '#shared/sources/chain/abi.ts';
import { anyJson, badAddress, badUint, hexBytes } from '#test/property/support.ts';
import { AMOUNTS, checkFill, hostileEvent, validEvent } from '#test/property/subgraph-events.ts';

/**
 * Hostile input, property-based, one row at a time: whatever a source sends,
 * a bad row becomes a reject with its reason, a good row becomes exactly the
 * fill it describes, and nothing throws.
 */

describe('subgraph rows (subgraphFill)', () => {
  it('maps every valid event to the fill it describes', () => {
    fc.assert(
      fc.property(validEvent, (e) => {
        const fill = subgraphFill(e);
        expect(typeof fill).toBe('object');
        checkFill(e, fill);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and never accepts a hostile field: 78-digit, negative, fractional amounts, wrong-length addresses, junk', () => {
    fc.assert(
      fc.property(hostileEvent, (e) => checkFill(e, subgraphFill(e))),
      { numRuns: 1500 },
    );
  });

  it('refuses every amount beyond uint256 or not a plain non-negative integer', () => {
    fc.assert(
      fc.property(validEvent, fc.constantFrom(...AMOUNTS), badUint, (e, field, bad) => {
        const out = subgraphFill({ ...e, [field]: bad });
        expect(typeof out).toBe('string');
        expect(out).toMatch(new RegExp(field));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses addresses of the wrong length', () => {
    fc.assert(
      fc.property(validEvent, fc.constantFrom('maker', 'taker'), badAddress, (e, field, bad) => {
        expect(typeof subgraphFill({ ...e, [field]: bad })).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on anything at all', () => {
    fc.assert(
      fc.property(anyJson, (v) => {
        expect(typeof subgraphFill(v)).toBe('string');
      }),
      { numRuns: 500 },
    );
  });
});

describe('chain logs (decodeOrderFilledLog)', () => {
  const EXCHANGE = '0xE111180000d2663C0091e4f400237545B87B996B';
  const validLog = fc
    .record({
      order: hexBytes(32),
      maker: hexBytes(20),
      taker: hexBytes(20),
      side: fc.integer({ min: 0, max: 255 }),
      tokenId: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
      a: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
      b: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
      fee: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
      tx: hexBytes(32),
      logIndex: fc.nat(5000),
      block: fc.nat(200_000_000),
    })
    .map((v): RpcLog => ({
      address: EXCHANGE,
      topics: encodeEventTopics({
        abi: [ORDER_FILLED_EVENT],
        eventName: 'OrderFilled',
        args: { orderHash: v.order as Hex, maker: v.maker as Hex, taker: v.taker as Hex },
      }) as Hex[],
      data: encodeAbiParameters(
        [{ type: 'uint8' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }],
        [v.side, v.tokenId, v.a, v.b, v.fee, `0x${'00'.repeat(32)}`, `0x${'ee'.repeat(32)}`],
      ),
      blockNumber: `0x${v.block.toString(16)}`,
      blockHash: `0x${'99'.repeat(32)}`,
      transactionHash: v.tx,
      logIndex: `0x${v.logIndex.toString(16)}`,
    }));
  const hostileLog = fc
    .tuple(validLog, fc.constantFrom('topics', 'data', 'blockNumber', 'transactionHash', 'logIndex', 'removed', 'truncate'), anyJson, fc.string())
    .map(([log, field, junk, text]) => {
      const out = { ...log } as Record<string, unknown>;
      if (field === 'truncate') out.data = log.data.slice(0, Math.max(2, log.data.length - 2 - (text.length % 64) * 2));
      else if (field === 'topics') out.topics = Array.isArray(junk) ? junk : [...log.topics.slice(0, 2)];
      else if (field === 'removed') out.removed = true;
      else out[field] = junk;
      return out as unknown as RpcLog;
    });

  it('never throws; a fill is well-formed and follows side 0 = BUY, 1 = SELL; anything else is a reject with a reason', () => {
    fc.assert(
      fc.property(
        fc.oneof(validLog, hostileLog, anyJson as fc.Arbitrary<RpcLog>),
        fc.oneof(fc.nat(2_000_000_000), fc.constant(null), fc.integer({ min: -5, max: -1 }), fc.double()),
        (log, ts) => {
          const rec = decodeOrderFilledLog(log, ts as number | null);
          if (rec.table === 'rejects') {
            expect(rec.row.reason.length).toBeGreaterThan(0);
            return;
          }
          expect(rec.table).toBe('fills');
          if (rec.table !== 'fills') return;
          expect(fillRowSchema.safeParse(rec.row).success).toBe(true);
          expect(rec.row.side === 'BUY' ? rec.row.maker_asset_id : rec.row.taker_asset_id).toBe('0');
          expect(rec.row.fill_id).toMatch(/^0x[0-9a-f]{64}_\d+$/);
          expect(Number.isSafeInteger(rec.row.timestamp) && rec.row.timestamp >= 0).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
