import { encodeFunctionData, numberToHex, type Address, type Hex } from 'viem';
import { priceOf, type FillRow } from '#shared/model/fill.ts';
import { compileFakeExchange } from './compile.ts';
import type { Eip1193, EvmNode } from './node.ts';

/** One OrderFilled as the test asks the fake exchange to emit it. */
export interface FillInput {
  orderHash: Hex;
  maker: Address;
  taker: Address;
  side: number;
  tokenId: bigint;
  makerAmountFilled: bigint;
  takerAmountFilled: bigint;
  fee: bigint;
  builder: Hex;
  metadata: Hex;
}

interface EmittedTx {
  hash: Hex;
  exchange: Address;
  fills: FillInput[];
}

interface Receipt {
  blockNumber: Hex;
  status: Hex;
  transactionHash: Hex;
  logs: { address: string; logIndex: Hex; blockNumber: Hex; topics: Hex[] }[];
}

/** Seeded PRNG (mulberry32) so every run builds the same chain. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randHex(r: () => number, bytes: number): Hex {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(r() * 256)
      .toString(16)
      .padStart(2, '0');
  return `0x${s}`;
}

/** A plausible fill: a 76..77-digit token id, 6-decimal amounts with price in (0, 1), sometimes zero fee. */
export function randomFill(r: () => number, side?: number): FillInput {
  const tokenId = BigInt(randHex(r, 32)) % 10n ** 77n || 1n;
  const tokens = BigInt(1 + Math.floor(r() * 5_000)) * 1_000_000n + BigInt(Math.floor(r() * 1_000_000));
  const priceMicros = BigInt(1 + Math.floor(r() * 998_999));
  const usdc = (tokens * priceMicros) / 1_000_000n;
  const s = side ?? (r() < 0.5 ? 0 : 1);
  return {
    orderHash: randHex(r, 32),
    maker: randHex(r, 20) as Address,
    taker: randHex(r, 20) as Address,
    side: s,
    tokenId,
    makerAmountFilled: s === 0 ? usdc : tokens,
    takerAmountFilled: s === 0 ? tokens : usdc,
    fee: r() < 0.3 ? 0n : BigInt(Math.floor(r() * 100_000)),
    builder: randHex(r, 32),
    metadata: randHex(r, 32),
  };
}

/**
 * Drives the fake exchanges on a Hardhat node and remembers what it emitted,
 * so a test can compute the exact fills a reader must return, independently
 * of the reader (from the inputs and the receipts).
 */
export class ExchangeScript {
  private readonly txs: EmittedTx[] = [];
  private readonly abi = compileFakeExchange().abi;
  private readonly p: Eip1193;
  private readonly from: Address;

  constructor(node: EvmNode) {
    this.p = node.provider;
    const from = node.accounts[0];
    if (!from) throw new Error('node has no accounts');
    this.from = from;
  }

  /** Puts the fake exchange's runtime code at each address (hardhat_setCode). */
  async install(addresses: readonly Address[]): Promise<void> {
    const code = compileFakeExchange().deployedBytecode;
    for (const a of addresses) await this.p.request({ method: 'hardhat_setCode', params: [a, code] });
  }

  async blockNumber(): Promise<bigint> {
    return BigInt((await this.p.request({ method: 'eth_blockNumber' })) as string);
  }

  /** Mines `blocks` empty blocks, `intervalSeconds` apart. */
  async mine(blocks: number | bigint, intervalSeconds = 2): Promise<void> {
    if (BigInt(blocks) <= 0n) return;
    await this.p.request({ method: 'hardhat_mine', params: [numberToHex(BigInt(blocks)), numberToHex(intervalSeconds)] });
  }

  /** Mines one empty block `seconds` after the head (a missed slot). */
  async mineLate(seconds: number): Promise<void> {
    const head = (await this.p.request({ method: 'eth_getBlockByNumber', params: ['latest', false] })) as { timestamp: Hex };
    await this.p.request({ method: 'evm_setNextBlockTimestamp', params: [numberToHex(BigInt(head.timestamp) + BigInt(seconds))] });
    await this.p.request({ method: 'evm_mine' });
  }

  /** Mines empty blocks until the head is `block`. */
  async mineTo(block: bigint, intervalSeconds = 2): Promise<void> {
    const head = await this.blockNumber();
    await this.mine(block - head, intervalSeconds);
  }

  private async send(to: Address, data: Hex, gas: number): Promise<Hex> {
    return (await this.p.request({ method: 'eth_sendTransaction', params: [{ from: this.from, to, data, gas: numberToHex(gas) }] })) as Hex;
  }

  private fillsData(fills: FillInput[]): Hex {
    return encodeFunctionData({ abi: this.abi, functionName: 'emitFills', args: [fills] });
  }

  private static gasFor(n: number): number {
    return 60_000 + n * 20_000;
  }

  /** One transaction emitting all `fills` (in order), mined in its own block. Returns the tx hash. */
  async emitFills(exchange: Address, fills: FillInput[], opts: { record?: boolean } = {}): Promise<Hex> {
    const hash = await this.send(exchange, this.fillsData(fills), ExchangeScript.gasFor(fills.length));
    await this.assertMined(hash);
    if (opts.record !== false) this.txs.push({ hash, exchange, fills });
    return hash;
  }

  /** Several transactions mined together in one block. */
  async emitInOneBlock(batches: { exchange: Address; fills: FillInput[] }[]): Promise<Hex[]> {
    await this.p.request({ method: 'evm_setAutomine', params: [false] });
    const hashes: Hex[] = [];
    try {
      for (const b of batches) hashes.push(await this.send(b.exchange, this.fillsData(b.fills), ExchangeScript.gasFor(b.fills.length)));
      await this.p.request({ method: 'evm_mine' });
    } finally {
      await this.p.request({ method: 'evm_setAutomine', params: [true] });
    }
    const blocks = new Set<string>();
    for (const [i, h] of hashes.entries()) {
      blocks.add((await this.assertMined(h)).blockNumber);
      const b = batches[i];
      if (b) this.txs.push({ hash: h, exchange: b.exchange, fills: b.fills });
    }
    if (blocks.size !== 1) throw new Error(`expected one block, got ${[...blocks].join(',')}`);
    return hashes;
  }

  /** A log with arbitrary topics and data (not recorded as a fill). */
  async emitRaw(exchange: Address, topics: Hex[], data: Hex): Promise<Hex> {
    const hash = await this.send(exchange, encodeFunctionData({ abi: this.abi, functionName: 'emitRaw', args: [topics, data] }), 200_000);
    await this.assertMined(hash);
    return hash;
  }

  private async assertMined(hash: Hex): Promise<Receipt> {
    const r = (await this.p.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as Receipt | null;
    if (!r || r.status !== '0x1') throw new Error(`tx ${hash} not mined or reverted`);
    return r;
  }

  /** Everything recorded so far, as the `fills` rows a correct reader returns (side 0/1 only). */
  async expectedRows(filter: (row: FillRow) => boolean = () => true): Promise<FillRow[]> {
    const rows: FillRow[] = [];
    const ts = new Map<string, number>();
    for (const tx of this.txs) {
      const r = await this.assertMined(tx.hash);
      if (r.logs.length !== tx.fills.length) throw new Error(`tx ${tx.hash}: ${r.logs.length} logs for ${tx.fills.length} fills`);
      let t = ts.get(r.blockNumber);
      if (t === undefined) {
        const b = (await this.p.request({ method: 'eth_getBlockByNumber', params: [r.blockNumber, false] })) as { timestamp: Hex };
        t = Number(BigInt(b.timestamp));
        ts.set(r.blockNumber, t);
      }
      tx.fills.forEach((f, i) => {
        const log = r.logs[i];
        if (!log || f.side > 1) return;
        const buy = f.side === 0;
        const usdc = buy ? f.makerAmountFilled : f.takerAmountFilled;
        const tokens = buy ? f.takerAmountFilled : f.makerAmountFilled;
        const row: FillRow = {
          fill_id: `${tx.hash.toLowerCase()}_${Number(BigInt(log.logIndex))}`,
          source: 'chain',
          exchange: tx.exchange.toLowerCase(),
          block_number: Number(BigInt(r.blockNumber)),
          log_index: Number(BigInt(log.logIndex)),
          timestamp: t as number,
          transaction_hash: tx.hash.toLowerCase(),
          order_hash: f.orderHash.toLowerCase(),
          maker: f.maker.toLowerCase(),
          taker: f.taker.toLowerCase(),
          maker_asset_id: buy ? '0' : f.tokenId.toString(),
          taker_asset_id: buy ? f.tokenId.toString() : '0',
          maker_amount_filled: f.makerAmountFilled.toString(),
          taker_amount_filled: f.takerAmountFilled.toString(),
          fee: f.fee.toString(),
          token_id: f.tokenId.toString(),
          side: buy ? 'BUY' : 'SELL',
          usdc_amount: usdc.toString(),
          token_amount: tokens.toString(),
          price: priceOf(usdc, tokens),
        };
        if (filter(row)) rows.push(row);
      });
    }
    return rows;
  }
}
