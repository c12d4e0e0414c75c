import { encodeAbiParameters, encodeEventTopics, getAddress, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { HttpRequestError, RpcRequestError, TimeoutError } from 'viem';
import { classifyRpcError, decodeOrderFilledLog, ORDER_FILLED_EVENT, ORDER_FILLED_TOPIC, parseRetryAfter, type RpcLog } from '#shared/sources/chain/index.ts';
import { cutShards, MIN_REQUESTS_PER_PARALLEL_SHARD, spanFor, type SizingConfig } from '#shared/sources/chain/plan.ts';
import { orderFilledCatalogue } from '#shared/sources/chain/catalogue.ts';
import { REQUESTS_PER_SHARD, shardSizing } from '#shared/sources/chain/options.ts';
import { SHARDS_PER_FETCHER } from '#shared/sources/source.ts';

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

describe('shard sizing', () => {
  const blocksOf = (s: { spec: { fromBlock: string; toBlock: string } }) => Number(s.spec.toBlock) - Number(s.spec.fromBlock) + 1;
  const cfg: SizingConfig = {
    addresses: [],
    topics: [ORDER_FILLED_TOPIC],
    maxBlockSpan: 2_000,
    targetLogsPerRequest: 3_000,
    targetRowsPerShard: 90_000,
    maxShardBlocks: 100_000,
    densityProbes: 8,
    probeSpan: 20,
  };

  it('request span follows density, within the provider span cap', () => {
    expect(spanFor(cfg, 25)).toBe(120);
    expect(spanFor(cfg, 0)).toBe(2_000);
    expect(spanFor(cfg, 0.01)).toBe(2_000);
    expect(spanFor(cfg, 1e6)).toBe(1);
  });

  it('shards tile the range exactly, with row estimates', () => {
    const regions = [
      { from: 100n, to: 10_099n, logsPerBlock: 25 },
      { from: 10_100n, to: 250_000n, logsPerBlock: 0 },
      { from: 250_001n, to: 250_001n, logsPerBlock: 3 },
    ];
    const shards = cutShards(cfg, regions);
    let next = 100n;
    for (const s of [...shards].sort((a, b) => Number(BigInt(a.spec.fromBlock) - BigInt(b.spec.fromBlock)))) {
      expect(BigInt(s.spec.fromBlock)).toBe(next);
      next = BigInt(s.spec.toBlock) + 1n;
      expect(s.spec.span).toBeGreaterThan(0);
    }
    expect(next).toBe(250_002n);
    const dense = shards.filter((s) => BigInt(s.spec.toBlock) < 10_100n);
    expect(dense[0]!.spec.span).toBe(120);
    expect(dense[0]!.estimatedRows).toBe(3_600 * 25); // 90 000 rows: 3 600 blocks = 30 spans
    expect(
      shards
        .filter((s) => BigInt(s.spec.fromBlock) >= 10_100n && BigInt(s.spec.toBlock) <= 250_000n)
        .every((s) => Number(BigInt(s.spec.toBlock) - BigInt(s.spec.fromBlock)) < 100_000),
    ).toBe(true);
  });

  it('cuts a small range into the shards the fetchers need, a multiple of them, but never shards of fewer than 8 spans', () => {
    // 25 logs a block: 120-block spans. 9,600 blocks = 80 spans.
    const region = [{ from: 0n, to: 9_599n, logsPerBlock: 25 }];
    expect(cutShards(cfg, region)).toHaveLength(3); // by rows: 90,000 rows = 30 spans a shard
    const forTwo = cutShards(cfg, region, 2);
    expect(forTwo).toHaveLength(2 * SHARDS_PER_FETCHER); // 10 spans each
    // Eight fetchers would want 32; 80 spans allow 10 of 8 spans; 8 finish in one even round.
    const forEight = cutShards(cfg, region, 8);
    expect(forEight).toHaveLength(8);
    // Three fetchers: 10 allowed, 9 taken (three rounds of three).
    expect(cutShards(cfg, region, 3)).toHaveLength(9);
    // Where the rows cap asks for more (12 of at most 20,000 rows), the count rises to the next multiple: three rounds of five.
    const byRows = cutShards({ ...cfg, targetRowsPerShard: 20_000 }, region, 5);
    expect(byRows).toHaveLength(15);
    expect(byRows.every((s) => s.estimatedRows <= 20_000)).toBe(true);
    for (const shard of [...forTwo, ...forEight]) {
      expect(blocksOf(shard) / 120).toBeGreaterThanOrEqual(MIN_REQUESTS_PER_PARALLEL_SHARD);
      expect(shard.spec.logsPerBlock).toBe(25);
    }
    // The pieces tile the range.
    expect(forEight[0]!.spec.fromBlock).toBe('0');
    expect(forEight.at(-1)!.spec.toBlock).toBe('9599');
  });

  it("counts a parallel shard's requests at the closest aim its fetcher reaches, not at the planner's", () => {
    // 200 spans at the planner's aim (3,000 logs, 80% of a 3,750 cap): 25 shards of 8 would be allowed, 24 taken.
    const region = [{ from: 0n, to: 23_999n, logsPerBlock: 25 }];
    expect(cutShards(cfg, region, 8)).toHaveLength(24);
    // Fetchers that aim at 95% of the cap (3,562 logs, 142-block spans) read those 200 spans in 169 requests:
    // 24 shards would hold 7 each, so 16 are cut, of 10.5 requests.
    const closer = { ...cfg, closestLogsPerRequest: 3_562 };
    const shards = cutShards(closer, region, 8);
    expect(shards).toHaveLength(16);
    for (const shard of shards) expect(blocksOf(shard) / 142).toBeGreaterThanOrEqual(MIN_REQUESTS_PER_PARALLEL_SHARD);
    // Still cut in whole spans of the planner's aim, and sized for the first request by the planner's density.
    expect(shards.every((s) => s.spec.span === 120 && s.spec.logsPerBlock === 25)).toBe(true);
    // Where a span cap sets every request, the aim changes nothing.
    const capped = [{ from: 0n, to: 300_999n, logsPerBlock: 0.1 }];
    expect(cutShards(closer, capped, 8)).toHaveLength(cutShards(cfg, capped, 8).length);
  });

  it('by default holds a shard to REQUESTS_PER_SHARD requests at the closest aim, whatever the result cap', () => {
    const catalogue = orderFilledCatalogue([EXCHANGE]);
    const sized = (closestTarget: number, targetRowsPerShard?: number) =>
      shardSizing({ rpcUrl: 'http://rpc.test', targetRowsPerShard }, catalogue, { spanCap: 1_000_000, target: closestTarget, closestTarget })
        .targetRowsPerShard;
    expect(REQUESTS_PER_SHARD).toBe(40);
    // Alchemy's and Infura's 10,000-log cap, aimed at 95%: 380,000 rows, where a fixed 100,000 made shards of 10.5 requests.
    expect(sized(9_500)).toBe(380_000);
    // The chain bench's paid cap (10,000 / 50, aimed at 190): the same 40 requests.
    expect(sized(190)).toBe(7_600);
    // What the operator sets (CHAIN_ROWS_PER_SHARD) stands.
    expect(sized(9_500, 100_000)).toBe(100_000);
    // A V2 backfill at Polygon's density (22 fills a block, 219 days of 43,200 blocks) behind the 10,000 cap: each shard
    // is 40 requests of the fetchers' aim, every one within its rows.
    const sizing = { ...cfg, maxBlockSpan: 1_000_000, targetLogsPerRequest: 8_000, closestLogsPerRequest: 9_500, targetRowsPerShard: sized(9_500) };
    const shards = cutShards(sizing, [{ from: 0n, to: 219n * 43_200n - 1n, logsPerBlock: 22 }], 4);
    // Whole spans of the planner's aim (363 blocks at 8,000 logs): 47 a shard, 375,342 rows; 208 M rows in 555 shards.
    expect(spanFor(sizing, 22)).toBe(363);
    expect(shards).toHaveLength(555);
    expect(shards.every((s) => s.estimatedRows <= 380_000)).toBe(true);
    // The range's rest is one shorter shard, which the plan (most requests first) starts last.
    expect(shards.slice(0, -1).every((s) => s.estimatedRows / 9_500 > REQUESTS_PER_SHARD - 1)).toBe(true);
    expect(shards.at(-1)!.estimatedRows / 9_500).toBeCloseTo(20.9, 1);
  });

  it('cuts shards of equal requests across regions, leaving no remainder of a region to page last', () => {
    // 120-block spans; 30 spans a shard by rows. Cut region by region, the first (80 spans) left a 20-span remainder.
    const regions = [
      { from: 0n, to: 9_599n, logsPerBlock: 25 },
      { from: 9_600n, to: 16_799n, logsPerBlock: 25 },
    ];
    const shards = cutShards(cfg, regions);
    expect(shards.map((s) => blocksOf(s) / s.spec.span)).toEqual([28, 28, 28, 28, 28]);
    // In block order, tiling the range; the third crosses from one region into the next.
    expect(shards.map((s) => [s.spec.fromBlock, s.spec.toBlock])).toEqual([
      ['0', '3359'],
      ['3360', '6719'],
      ['6720', '10079'],
      ['10080', '13439'],
      ['13440', '16799'],
    ]);
    expect(shards.reduce((n, s) => n + s.estimatedRows, 0)).toBe(16_800 * 25);
  });

  it('cuts shards in whole spans where a span cap sets every request, so each request is a full one', () => {
    // A sparse range: every request is the 2,000-block cap. 301,000 blocks = 150.5 spans for 8 fetchers: 16 shards of 9.4.
    const regions = [
      { from: 0n, to: 150_499n, logsPerBlock: 0.1 },
      { from: 150_500n, to: 300_999n, logsPerBlock: 0.1 },
    ];
    const shards = cutShards(cfg, regions, 8);
    expect(shards).toHaveLength(16);
    const spans = shards.map((s) => blocksOf(s) / 2_000);
    // Whole spans, a shard crossing into the next region too; only the one that ends the range (150.5 spans) is not.
    expect(spans.filter((n) => !Number.isInteger(n))).toEqual([9.5]);
    expect(Math.max(...spans) - Math.min(...spans)).toBeLessThanOrEqual(1.5);
    // 150.3 spans: the last of the 16 takes the 9.3 left, where rounding it to 9 left a 17th of 0.3.
    const shorter = cutShards(cfg, [{ from: 0n, to: 300_599n, logsPerBlock: 0.1 }], 8);
    expect(shorter).toHaveLength(16);
    expect(Math.min(...shorter.map((s) => blocksOf(s) / 2_000))).toBeGreaterThanOrEqual(9);
  });

  it('cuts shards as long as the caps allow where less than a span fits them, never a shard a block', () => {
    // A span (120 blocks, 3,000 rows) over a 1,000-row cap: shards of 40 blocks. Rounded to whole spans, each was one block.
    const dense = cutShards({ ...cfg, targetRowsPerShard: 1_000 }, [{ from: 0n, to: 9_599n, logsPerBlock: 25 }], 4);
    expect(dense).toHaveLength(240);
    expect(dense.every((s) => blocksOf(s) === 40 && s.estimatedRows === 1_000)).toBe(true);
    // An empty range whose 2,000-block span is longer than a shard may be (1,000 blocks).
    const sparse = cutShards({ ...cfg, maxShardBlocks: 1_000 }, [{ from: 0n, to: 99_999n, logsPerBlock: 0 }], 4);
    expect(sparse).toHaveLength(100);
    expect(sparse.every((s) => blocksOf(s) === 1_000)).toBe(true);
  });

  it('orders the plan by requests, most first, where a cap leaves shards unequal', () => {
    // A dense region (25 logs a block: 120-block spans, 80 of them, 240,000 rows) cut by rows into 30-span shards, then an
    // empty one (2,000-block spans, 75 of them). Three shards by rows, about 52 requests each; the first two stop at 30
    // (90,000 rows), so the third takes what they left, up to its 100,000 blocks, and a fourth the rest.
    const regions = [
      { from: 0n, to: 9_599n, logsPerBlock: 25 },
      { from: 9_600n, to: 159_599n, logsPerBlock: 0 },
    ];
    const shards = cutShards(cfg, regions);
    expect(shards.map((s) => [s.spec.fromBlock, s.spec.toBlock, s.spec.span, s.estimatedRows])).toEqual([
      // 20 dense spans and 48.8 empty ones: its first request is sized by the dense region it starts in.
      ['7200', '107199', 120, 60_000],
      ['0', '3599', 120, 90_000],
      ['3600', '7199', 120, 90_000],
      // The rest of the empty region: 26.2 spans.
      ['107200', '159599', 2_000, 0],
    ]);
  });
});
