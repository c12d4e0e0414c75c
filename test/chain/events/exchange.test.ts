import { keccak256, toBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import { decodeV1OrderFilledLog, tokenRegisteredDecoder, TOPICS } from '#shared/sources/chain/events/index.ts';
import { ADDR, BLOCK, makeLog, only, rejectReason, SIG, TIME, TX } from './support.ts';

const MAKER = '0x48cb8296c4f13c13310a09f7aa998c435651e192';
const ORDER = `0x${'53'.repeat(32)}`;
// A real token id (Polymarket docs' OrderFilled example); any uint256 would do here.
const TOKEN = 21742633143463906290569050155826241533067272736897614950488156847949938836455n;

const v1Fill = (legs: { makerAssetId: bigint; takerAssetId: bigint; making: bigint; taking: bigint; fee?: bigint }, over = {}) =>
  makeLog(
    SIG.v1OrderFilled,
    ADDR.v1NegRisk,
    {
      orderHash: ORDER,
      maker: MAKER,
      taker: ADDR.v1NegRisk,
      makerAssetId: legs.makerAssetId,
      takerAssetId: legs.takerAssetId,
      makerAmountFilled: legs.making,
      takerAmountFilled: legs.taking,
      fee: legs.fee ?? 0n,
    },
    { logIndex: '0x2a', ...over },
  );

describe('topic0 of the exchange events', () => {
  // Canonical signatures as Polymarket/polymarket-subgraph pnl-subgraph/subgraph.template.yaml lists them.
  it('V1 OrderFilled and TokenRegistered hash to the canonical signatures', () => {
    expect(TOPICS.v1OrderFilled).toBe(keccak256(toBytes('OrderFilled(bytes32,address,address,uint256,uint256,uint256,uint256,uint256)')));
    expect(TOPICS.tokenRegistered).toBe(keccak256(toBytes('TokenRegistered(uint256,uint256,bytes32)')));
  });
});

describe('V1 OrderFilled', () => {
  it('BUY: maps every field, legs exactly as emitted, maker view derived', () => {
    const row = only(
      decodeV1OrderFilledLog(v1Fill({ makerAssetId: 0n, takerAssetId: TOKEN, making: 12_122_310n, taking: 24_790_000n, fee: 7n }), TIME),
      'fills',
    );
    expect(row).toEqual({
      fill_id: `${TX}_42`,
      source: 'chain',
      exchange: ADDR.v1NegRisk,
      block_number: BLOCK,
      log_index: 42,
      timestamp: TIME,
      transaction_hash: TX,
      order_hash: ORDER,
      maker: MAKER,
      taker: ADDR.v1NegRisk,
      maker_asset_id: '0',
      taker_asset_id: TOKEN.toString(),
      maker_amount_filled: '12122310',
      taker_amount_filled: '24790000',
      fee: '7',
      token_id: TOKEN.toString(),
      side: 'BUY',
      usdc_amount: '12122310',
      token_amount: '24790000',
      price: 0.489,
    });
  });

  it('SELL: maker gives the token, receives USDC', () => {
    const row = only(decodeV1OrderFilledLog(v1Fill({ makerAssetId: TOKEN, takerAssetId: 0n, making: 100_000_000n, taking: 35_000_000n }), TIME), 'fills');
    expect(row).toMatchObject({ side: 'SELL', token_id: TOKEN.toString(), usdc_amount: '35000000', token_amount: '100000000', price: 0.35 });
    expect(row).toMatchObject({ maker_asset_id: TOKEN.toString(), taker_asset_id: '0' });
  });

  it('lower-cases a checksummed emitter and transaction hash', () => {
    const log = v1Fill(
      { makerAssetId: 0n, takerAssetId: TOKEN, making: 1n, taking: 2n },
      { address: '0xC5d563A36AE78145C45a50134d48A1215220f80a', transactionHash: TX.toUpperCase().replace('0X', '0x') },
    );
    const row = only(decodeV1OrderFilledLog(log, TIME), 'fills');
    expect(row.exchange).toBe(ADDR.v1NegRisk);
    expect(row.transaction_hash).toBe(TX);
  });

  it('rejects legs that are not one USDC leg and one token leg', () => {
    expect(rejectReason(decodeV1OrderFilledLog(v1Fill({ makerAssetId: TOKEN, takerAssetId: TOKEN + 1n, making: 1n, taking: 1n }), TIME))).toMatch(
      /neither leg is USDC/,
    );
    expect(rejectReason(decodeV1OrderFilledLog(v1Fill({ makerAssetId: 0n, takerAssetId: 0n, making: 1n, taking: 1n }), TIME))).toMatch(/both legs are USDC/);
  });

  it('rejects a missing timestamp, a wrong topic count, undecodable data and a removed log', () => {
    const good = v1Fill({ makerAssetId: 0n, takerAssetId: TOKEN, making: 1n, taking: 2n });
    expect(rejectReason(decodeV1OrderFilledLog(good, null))).toMatch(/no block timestamp/);
    expect(rejectReason(decodeV1OrderFilledLog({ ...good, topics: good.topics.slice(0, 3) }, TIME))).toMatch(/expected 4 topics, got 3/);
    expect(rejectReason(decodeV1OrderFilledLog({ ...good, data: good.data.slice(0, 200) }, TIME))).toMatch(/cannot decode OrderFilled/);
    expect(rejectReason(decodeV1OrderFilledLog({ ...good, removed: true }, TIME))).toMatch(/removed/);
    expect(rejectReason(decodeV1OrderFilledLog({ ...good, transactionHash: null }, TIME))).toMatch(/transactionHash/);
  });

  it('keeps the raw log with a reject', () => {
    const good = v1Fill({ makerAssetId: 0n, takerAssetId: TOKEN, making: 1n, taking: 2n });
    const [rec] = decodeV1OrderFilledLog(good, null);
    expect(rec?.table === 'rejects' && JSON.parse(rec.row.raw)).toEqual(good);
    expect(rec?.table === 'rejects' && rec.row.source).toBe('chain');
  });
});

// Polymarket/polymarket-subgraph tests/getPositionId.test.ts: a standard market (USDC.e) and a NegRisk one (WrappedCollateral).
const STANDARD = {
  condition: '0xfc690d5069b296bb9278af0cba42c02666e0999e4a4009ed97ea4a885f045457',
  yes: 73716170047628147940237270507900673332129573201293655532643868111690843426372n,
  no: 2890213445014127424511466931609154310536269586265875141655148162320150952197n,
};
const NEG_RISK = {
  condition: '0xbf5ba08b3a0c4dd741f00759282e38e9bfa9ad59aa623ed13d26a8786c1e5afc',
  yes: 84121562275746951169805992721206824933074826856805500029198362509460400440947n,
  no: 6492254133524731704185750998715576231739345323060925006131340263114065023619n,
};

const registered = (exchange: string, token0: bigint, token1: bigint, conditionId: string) =>
  makeLog(SIG.tokenRegistered, exchange, { token0, token1, conditionId }, { logIndex: '0x5' });

describe('TokenRegistered', () => {
  const onCtf = tokenRegisteredDecoder(ADDR.usdce);
  const onNegRisk = tokenRegisteredDecoder(ADDR.wcol);

  it('claims token0 with its complement, condition, exchange and block; outcome from the USDC.e position ids', () => {
    expect(only(onCtf(registered(ADDR.v1Ctf, STANDARD.no, STANDARD.yes, STANDARD.condition), null), 'token_claims')).toEqual({
      token_id: STANDARD.no.toString(),
      source: 'registry',
      condition_id: STANDARD.condition,
      outcome_index: 1,
      outcome: '',
      complement_id: STANDARD.yes.toString(),
      winner: null,
      exchange: ADDR.v1Ctf,
      block_number: BLOCK,
    });
    expect(only(onCtf(registered(ADDR.v1Ctf, STANDARD.yes, STANDARD.no, STANDARD.condition), null), 'token_claims').outcome_index).toBe(0);
  });

  it('NegRisk exchange: outcome from the WrappedCollateral position ids', () => {
    expect(only(onNegRisk(registered(ADDR.v1NegRisk, NEG_RISK.yes, NEG_RISK.no, NEG_RISK.condition), null), 'token_claims').outcome_index).toBe(0);
    expect(only(onNegRisk(registered(ADDR.v1NegRisk, NEG_RISK.no, NEG_RISK.yes, NEG_RISK.condition), null), 'token_claims').outcome_index).toBe(1);
  });

  it('outcome_index is null when the token is no position of the condition under that collateral', () => {
    expect(only(onCtf(registered(ADDR.v1Ctf, NEG_RISK.yes, NEG_RISK.no, NEG_RISK.condition), null), 'token_claims').outcome_index).toBeNull();
    expect(only(onNegRisk(registered(ADDR.v1NegRisk, 12345n, 678n, NEG_RISK.condition), null), 'token_claims').outcome_index).toBeNull();
  });

  it('rejects a wrong topic count and a log without a position', () => {
    const good = registered(ADDR.v1Ctf, STANDARD.yes, STANDARD.no, STANDARD.condition);
    expect(rejectReason(onCtf({ ...good, topics: good.topics.slice(0, 3) }, null))).toMatch(/TokenRegistered: expected 4 topics, got 3/);
    expect(rejectReason(onCtf({ ...good, blockNumber: null }, null))).toMatch(/blockNumber/);
    expect(rejectReason(onCtf({ ...good, topics: [...good.topics, good.topics[1] as string] }, null))).toMatch(/expected 4 topics, got 5/);
  });
});
