import { encodeAbiParameters, encodeEventTopics, getAddress, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { HttpRequestError, RpcRequestError, TimeoutError } from 'viem';
import { classifyRpcError, decodeOrderFilledLog, ORDER_FILLED_EVENT, ORDER_FILLED_TOPIC, parseRetryAfter, type RpcLog } from '#shared/sources/chain/index.ts';

const TX = '0xAB00000000000000000000000000000000000000000000000000000000000001';
const EXCHANGE = '0xE111180000d2663C0091e4f400237545B87B996B';
const MAKER = getAddress('0x1111111111111111111111111111111111111abc');
const TAKER = getAddress('0x2222222222222222222222222222222222222DEF'.toLowerCase());
const ORDER = `0x${'cd'.repeat(32)}` as Hex;
const TOKEN_77 = 71321045679252212594626385532706912750332728571942532289631379312455583992563n; // 77 digits

interface V {
  side: number;
  tokenId: bigint;
  makerAmountFilled: bigint;
  takerAmountFilled: bigint;
  fee: bigint;
}

function log(v: V, over: Partial<RpcLog> = {}): RpcLog {
  const topics = encodeEventTopics({ abi: [ORDER_FILLED_EVENT], eventName: 'OrderFilled', args: { orderHash: ORDER, maker: MAKER, taker: TAKER } });
  const data = encodeAbiParameters(
    [{ type: 'uint8' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }],
    [v.side, v.tokenId, v.makerAmountFilled, v.takerAmountFilled, v.fee, `0x${'00'.repeat(32)}`, `0x${'ee'.repeat(32)}`],
  );
  return {
    address: EXCHANGE,
    topics: topics as Hex[],
    data,
    blockNumber: '0x50f7e51',
    blockHash: `0x${'99'.repeat(32)}`,
    transactionHash: TX,
    logIndex: '0x1f',
    ...over,
  };
}

describe('OrderFilled decoding', () => {
  it('topic0 is keccak of the exact V2 signature', () => {
    expect(ORDER_FILLED_TOPIC).toBe(encodeEventTopics({ abi: [ORDER_FILLED_EVENT], eventName: 'OrderFilled' })[0]);
    expect(ORDER_FILLED_EVENT.inputs.map((i) => `${i.type}${'indexed' in i && i.indexed ? ' indexed' : ''}`).join(',')).toBe(
      'bytes32 indexed,address indexed,address indexed,uint8,uint256,uint256,uint256,uint256,bytes32,bytes32',
    );
  });

  it('BUY (side 0): maker pays USDC; V1 legs "0" -> tokenId; lower-case ids; zero fee', () => {
    const rec = decodeOrderFilledLog(
      log({ side: 0, tokenId: TOKEN_77, makerAmountFilled: 40_000_000n, takerAmountFilled: 100_000_000n, fee: 0n }),
      1_777_000_000,
    );
    expect(rec).toEqual({
      table: 'fills',
      row: {
        fill_id: `${TX.toLowerCase()}_31`,
        source: 'chain',
        exchange: EXCHANGE.toLowerCase(),
        block_number: 84_901_457,
        log_index: 31,
        timestamp: 1_777_000_000,
        transaction_hash: TX.toLowerCase(),
        order_hash: ORDER,
        maker: MAKER.toLowerCase(),
        taker: TAKER.toLowerCase(),
        maker_asset_id: '0',
        taker_asset_id: TOKEN_77.toString(),
        maker_amount_filled: '40000000',
        taker_amount_filled: '100000000',
        fee: '0',
        token_id: TOKEN_77.toString(),
        side: 'BUY',
        usdc_amount: '40000000',
        token_amount: '100000000',
        price: 0.4,
      },
    });
    expect(TOKEN_77.toString()).toHaveLength(77);
  });

  it('SELL (side 1): maker gives tokens; legs reversed; fee kept as a decimal string', () => {
    const rec = decodeOrderFilledLog(log({ side: 1, tokenId: TOKEN_77, makerAmountFilled: 50_000_000n, takerAmountFilled: 35_000_000n, fee: 123_456n }), 5);
    expect(rec.table).toBe('fills');
    if (rec.table !== 'fills') return;
    expect(rec.row).toMatchObject({
      maker_asset_id: TOKEN_77.toString(),
      taker_asset_id: '0',
      side: 'SELL',
      token_id: TOKEN_77.toString(),
      usdc_amount: '35000000',
      token_amount: '50000000',
      fee: '123456',
      price: 0.7,
    });
  });

  it('normalises upper-case and checksummed addresses and hashes to lower case', () => {
    const rec = decodeOrderFilledLog(
      log(
        { side: 0, tokenId: 5n, makerAmountFilled: 1n, takerAmountFilled: 2n, fee: 0n },
        { address: EXCHANGE.toUpperCase().replace('0X', '0x'), transactionHash: TX.toUpperCase().replace('0X', '0x') },
      ),
      1,
    );
    expect(rec.table).toBe('fills');
    if (rec.table !== 'fills') return;
    for (const k of ['exchange', 'maker', 'taker', 'transaction_hash', 'order_hash', 'fill_id'] as const) expect(rec.row[k]).toBe(rec.row[k].toLowerCase());
    expect(rec.row.exchange).toBe('0xe111180000d2663c0091e4f400237545b87b996b');
    expect(rec.row.maker).toBe('0x1111111111111111111111111111111111111abc');
  });

  it('uint256 max token id and amounts survive as exact decimal strings', () => {
    const max = (1n << 256n) - 1n;
    const rec = decodeOrderFilledLog(log({ side: 1, tokenId: max, makerAmountFilled: max, takerAmountFilled: max, fee: max }), 1);
    expect(rec.table).toBe('fills');
    if (rec.table !== 'fills') return;
    expect(rec.row.token_id).toBe(max.toString());
    expect(rec.row.fee).toBe(max.toString());
    expect(rec.row.price).toBe(1);
  });

  it('side 2 becomes a reject with its reason, the raw log kept', () => {
    const l = log({ side: 2, tokenId: 5n, makerAmountFilled: 1n, takerAmountFilled: 2n, fee: 0n });
    const rec = decodeOrderFilledLog(l, 1);
    expect(rec.table).toBe('rejects');
    if (rec.table !== 'rejects') return;
    expect(rec.row.source).toBe('chain');
    expect(rec.row.reason).toMatch(/side 2 is neither 0 \(BUY\) nor 1 \(SELL\)/);
    expect(JSON.parse(rec.row.raw)).toEqual(l);
  });

  it('undecodable data, a token id of 0, a missing timestamp or a removed log are rejects, never throws', () => {
    const good = log({ side: 0, tokenId: 5n, makerAmountFilled: 1n, takerAmountFilled: 2n, fee: 0n });
    const cases: [RpcLog, number | null, RegExp][] = [
      [{ ...good, data: '0x1234' }, 1, /cannot decode OrderFilled/],
      [{ ...good, topics: good.topics.slice(0, 2) }, 1, /cannot decode OrderFilled/],
      [{ ...good, topics: [`0x${'ab'.repeat(32)}`, ...good.topics.slice(1)] }, 1, /cannot decode OrderFilled/],
      [log({ side: 0, tokenId: 0n, makerAmountFilled: 1n, takerAmountFilled: 2n, fee: 0n }), 1, /both legs are USDC/],
      [good, null, /no block timestamp/],
      [{ ...good, removed: true }, 1, /removed/],
      [{ ...good, logIndex: null }, 1, /logIndex/],
      [{ ...good, transactionHash: '0x12' }, 1, /transactionHash/],
    ];
    for (const [l, ts, why] of cases) {
      const rec = decodeOrderFilledLog(l, ts);
      expect(rec.table, String(why)).toBe('rejects');
      if (rec.table === 'rejects') expect(rec.row.reason).toMatch(why);
    }
  });
});

const rpcErr = (code: number, message: string, data?: unknown, status?: number, headers?: Headers) =>
  new RpcRequestError({
    body: {},
    error: { code, message, ...(data !== undefined ? { data } : {}) },
    url: 'http://x',
    ...(status ? { status } : {}),
    ...(headers ? { headers } : {}),
  });

describe('provider error recognition', () => {
  it('range refusals with each provider wording, their suggested range and caps', () => {
    const alchemy = classifyRpcError(
      rpcErr(
        -32602,
        'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x50f7e51, 0x50f7f00]',
      ),
    );
    expect(alchemy).toMatchObject({ kind: 'range', limit: 'results', suggested: { from: 0x50f7e51n, to: 0x50f7f00n } });
    expect(classifyRpcError(rpcErr(-32614, 'eth_getLogs is limited to a 10,000 range'))).toMatchObject({ kind: 'range', limit: 'span', maxSpan: 10_000 });
    expect(classifyRpcError(rpcErr(-32005, 'query returned more than 10000 results', { from: '0x10', to: '0x20', limit: 10000 }))).toMatchObject({
      kind: 'range',
      limit: 'results',
      maxResults: 10_000,
      suggested: { from: 16n, to: 32n },
    });
    expect(classifyRpcError(rpcErr(-32000, 'block range is too wide'))).toMatchObject({ kind: 'range', limit: 'span' });
    expect(classifyRpcError(rpcErr(-32000, 'exceed maximum block range: 50000'))).toMatchObject({ kind: 'range', limit: 'span', maxSpan: 50_000 });
    expect(classifyRpcError(rpcErr(-32000, 'query timeout exceeded'))).toMatchObject({ kind: 'range', limit: 'time' });
    expect(classifyRpcError(new HttpRequestError({ url: 'http://x', status: 413, details: 'Payload Too Large' }))).toMatchObject({
      kind: 'range',
      limit: 'size',
    });
    expect(
      classifyRpcError(
        rpcErr(
          -32600,
          'Under the Free tier plan, you can make eth_getLogs requests with up to a 10 block range. Based on your parameters, this block range should work: [0x1, 0xa]',
        ),
      ),
    ).toMatchObject({
      kind: 'range',
      limit: 'span',
      maxSpan: 10,
      suggested: { from: 1n, to: 10n },
    });
  });

  it('429s (HTTP and JSON-RPC), Retry-After, 5xx, timeouts and dropped connections are transient; bad params are fatal', () => {
    const h = new Headers({ 'retry-after': '3' });
    expect(classifyRpcError(new HttpRequestError({ url: 'http://x', status: 429, headers: h }))).toMatchObject({
      kind: 'transient',
      rateLimited: true,
      retryAfterMs: 3000,
    });
    expect(classifyRpcError(rpcErr(429, 'Your app has exceeded its compute units per second capacity.', undefined, 429, h))).toMatchObject({
      kind: 'transient',
      rateLimited: true,
      retryAfterMs: 3000,
    });
    expect(classifyRpcError(rpcErr(-32005, 'project ID request rate exceeded'))).toMatchObject({ kind: 'transient', rateLimited: true });
    expect(classifyRpcError(new HttpRequestError({ url: 'http://x', status: 503 }))).toMatchObject({ kind: 'transient', rateLimited: false });
    expect(classifyRpcError(new TimeoutError({ body: {}, url: 'http://x' }))).toMatchObject({ kind: 'transient', timeout: true });
    expect(classifyRpcError(new HttpRequestError({ url: 'http://x', cause: new TypeError('fetch failed') }))).toMatchObject({ kind: 'transient' });
    expect(classifyRpcError(rpcErr(-32602, 'invalid argument 0: hex string without 0x prefix'))).toMatchObject({ kind: 'fatal' });
    expect(classifyRpcError(rpcErr(-32601, 'the method eth_getLogs does not exist/is not available'))).toMatchObject({ kind: 'fatal' });
  });

  it('Retry-After in seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2026-05-01T00:00:00Z');
    expect(parseRetryAfter('Fri, 01 May 2026 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
