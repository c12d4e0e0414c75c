import { numberToHex, type Address, type Hex } from 'viem';
import { compileWorldContracts, type WorldContractName } from '#simulator/chain/compile.ts';
import type { EvmNode } from '#simulator/chain/node.ts';
import {
  CONDITIONAL_TOKENS,
  CTF_EXCHANGE_V1,
  CTF_EXCHANGE_V2,
  NEG_RISK_ADAPTER,
  NEG_RISK_EXCHANGE_V1,
  NEG_RISK_EXCHANGE_V2,
} from '#shared/sources/chain/events/addresses.ts';
import { GSN_RELAY_HUB, POLYMARKET_SAFE_FACTORY } from '#shared/sources/chain/events/wallets.ts';
import { WORLD_ACTORS } from './addresses.ts';
import { encodeTransaction, topicOf, type WorldLog } from './logs.ts';
import { GNOSIS_PROXY_FACTORY } from './wallets.ts';

/** A log as mined: what was asked for, and where it landed. */
export interface EmittedLog<T extends WorldLog = WorldLog> {
  log: T;
  logIndex: number;
}

export interface EmittedTx {
  /** Lower-case. */
  hash: Hex;
  blockNumber: number;
  /** Block time, unix seconds. */
  timestamp: number;
  logs: EmittedLog[];
}

interface Receipt {
  blockNumber: Hex;
  status: Hex;
  logs: { address: string; logIndex: Hex; topics: Hex[] }[];
}

const INSTALL: [Address, WorldContractName][] = [
  [CONDITIONAL_TOKENS, 'FakeCtf'],
  [NEG_RISK_ADAPTER, 'FakeNegRiskAdapter'],
  [CTF_EXCHANGE_V1, 'FakeExchangeV1'],
  [NEG_RISK_EXCHANGE_V1, 'FakeExchangeV1'],
  [CTF_EXCHANGE_V2, 'FakeExchangeV2Full'],
  [NEG_RISK_EXCHANGE_V2, 'FakeExchangeV2Full'],
  [WORLD_ACTORS.batcher, 'FakeBatcher'],
  [POLYMARKET_SAFE_FACTORY, 'FakeSafeFactory'],
  [GNOSIS_PROXY_FACTORY, 'FakeSafeFactory'],
  [GSN_RELAY_HUB, 'FakeRelayHub'],
];

/** Under the 2^24 per-transaction gas cap of recent hardforks, and a quarter of EDR's 60M block. */
const MAX_TX_GAS = 15_000_000;

/**
 * Puts the fakes at their real addresses and mines the world's blocks: each
 * `block` call places its transactions in one block at a chosen time, after
 * some empty blocks, and checks every receipt log against what was asked
 * (address and topic0, in order) before recording it.
 */
export class ChainWriter {
  readonly txs: EmittedTx[] = [];
  private headNumber = 0;
  private headTime = 0;

  private constructor(
    private readonly node: EvmNode,
    private readonly from: Address,
    private readonly blockSeconds: number | undefined,
  ) {}

  /**
   * Installs the fakes and mines empty blocks, one second apart, up to
   * `firstBlock - 1`. With `blockSeconds`, every later block is dated that
   * many seconds after its parent whatever time `block` asks for: a chain
   * whose blocks all come at the least time its rule allows.
   */
  static async open(node: EvmNode, firstBlock: bigint, blockSeconds?: number): Promise<ChainWriter> {
    const from = node.accounts[0];
    if (!from) throw new Error('node has no accounts');
    const w = new ChainWriter(node, from, blockSeconds);
    const compiled = compileWorldContracts();
    for (const [address, name] of INSTALL) await w.rpc('hardhat_setCode', [address, compiled[name].deployedBytecode]);
    const head = await w.latest();
    if (BigInt(head.number) >= firstBlock) throw new Error(`the node is already at block ${head.number}`);
    await w.rpc('hardhat_mine', [numberToHex(firstBlock - 1n - BigInt(head.number)), '0x1']);
    const after = await w.latest();
    w.headNumber = after.number;
    w.headTime = after.timestamp;
    return w;
  }

  get head(): { number: number; timestamp: number } {
    return { number: this.headNumber, timestamp: this.headTime };
  }

  private rpc(method: string, params: unknown[] = []): Promise<unknown> {
    return this.node.provider.request({ method, params });
  }

  private async latest(): Promise<{ number: number; timestamp: number }> {
    const b = (await this.rpc('eth_getBlockByNumber', ['latest', false])) as { number: Hex; timestamp: Hex };
    return { number: Number(BigInt(b.number)), timestamp: Number(BigInt(b.timestamp)) };
  }

  /**
   * Mines `emptyBefore` empty blocks spread over the time since the head, then
   * one block at `timestamp` holding `txs` (each a list of logs, one
   * transaction each, in order). Returns the mined transactions.
   */
  async block(asked: number, txs: readonly (readonly WorldLog[])[], emptyBefore = 0): Promise<EmittedTx[]> {
    const steady = this.blockSeconds;
    const timestamp = steady ? this.headTime + steady * (emptyBefore + 1) : asked;
    if (!(timestamp > this.headTime)) throw new Error(`block time ${timestamp} is not after the head's ${this.headTime}`);
    const empty = Math.min(emptyBefore, timestamp - this.headTime - 1);
    if (empty > 0) {
      const interval = steady ?? Math.floor((timestamp - this.headTime - 1) / empty);
      await this.rpc('evm_setNextBlockTimestamp', [numberToHex(this.headTime + interval)]);
      await this.rpc('hardhat_mine', [numberToHex(empty), numberToHex(interval)]);
      this.headNumber += empty;
      this.headTime += interval * empty;
    }
    const live = txs.filter((t) => t.length > 0);
    if (live.length === 0) {
      await this.rpc('evm_setNextBlockTimestamp', [numberToHex(timestamp)]);
      await this.rpc('evm_mine');
      return this.advance(timestamp, []);
    }
    await this.rpc('evm_setNextBlockTimestamp', [numberToHex(timestamp)]);
    const hashes: Hex[] = [];
    if (live.length === 1) {
      hashes.push(await this.send(live[0] as readonly WorldLog[]));
    } else {
      await this.rpc('evm_setAutomine', [false]);
      try {
        for (const t of live) hashes.push(await this.send(t));
        await this.rpc('evm_mine');
      } finally {
        await this.rpc('evm_setAutomine', [true]);
      }
    }
    const mined: EmittedTx[] = [];
    for (const [i, hash] of hashes.entries()) mined.push(await this.check(hash, live[i] as readonly WorldLog[], timestamp));
    return this.advance(timestamp, mined);
  }

  private async advance(timestamp: number, mined: EmittedTx[]): Promise<EmittedTx[]> {
    const head = await this.latest();
    if (head.number !== this.headNumber + 1 || head.timestamp !== timestamp) {
      throw new Error(`expected block ${this.headNumber + 1} at ${timestamp}, the node is at ${head.number} (${head.timestamp})`);
    }
    this.headNumber = head.number;
    this.headTime = head.timestamp;
    this.txs.push(...mined);
    return mined;
  }

  private async send(logs: readonly WorldLog[]): Promise<Hex> {
    const { to, data } = encodeTransaction(logs);
    const gas = Math.min(MAX_TX_GAS, 100_000 + logs.length * 15_000 + (data.length / 2) * 40);
    return (await this.rpc('eth_sendTransaction', [{ from: this.from, to, data, gas: numberToHex(gas) }])) as Hex;
  }

  private async check(hash: Hex, logs: readonly WorldLog[], timestamp: number): Promise<EmittedTx> {
    const r = (await this.rpc('eth_getTransactionReceipt', [hash])) as Receipt | null;
    if (!r || r.status !== '0x1') throw new Error(`tx ${hash} not mined or reverted`);
    const blockNumber = Number(BigInt(r.blockNumber));
    if (blockNumber !== this.headNumber + 1) throw new Error(`tx ${hash} landed in block ${blockNumber}, expected ${this.headNumber + 1}`);
    if (r.logs.length !== logs.length) throw new Error(`tx ${hash}: ${r.logs.length} logs for ${logs.length} asked`);
    const emitted = logs.map((log, i): EmittedLog => {
      const got = r.logs[i] as Receipt['logs'][number];
      if (got.address.toLowerCase() !== log.address || got.topics[0] !== topicOf(log.kind)) {
        throw new Error(`tx ${hash} log ${i}: ${got.address} ${got.topics[0]} is not ${log.kind} at ${log.address}`);
      }
      return { log, logIndex: Number(BigInt(got.logIndex)) };
    });
    return { hash: hash.toLowerCase() as Hex, blockNumber, timestamp, logs: emitted };
  }
}
