import type { Address } from 'viem';
import { CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, V2_GENESIS_BLOCK } from '#shared/sources/chain/index.ts';
import type { FillRow } from '#shared/model/fill.ts';
import { ExchangeScript, randomFill, rng } from './exchange.ts';
import { startEvmNode } from './node.ts';

export interface SimulatedChainOptions {
  seed: number;
  fills: number;
  /** Token ids the V2 fills trade, e.g. the simulated market list's, so `trades` maps them. */
  tokenIds: string[];
  fillsPerTransaction?: number;
  /** Blocks mined between transactions, so shards span a realistic range. */
  blocksBetween?: number;
  genesisBlock?: bigint;
}

export interface SimulatedChain {
  rpcUrl: string;
  script: ExchangeScript;
  /** Settings that point the chain source at this node. */
  env: Record<string, string>;
  /** The fills a correct reader loads, computed from what was emitted, not from a reader. */
  expectedRows(): Promise<FillRow[]>;
  /** Emits more fills (a later incremental run's new blocks). */
  emit(fills: number, seed: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real EVM node (Hardhat's EDR, in-process) with a contract emitting the V2
 * `OrderFilled` event placed at both real V2 exchange addresses, mined past
 * the real V2 genesis block, for `npm run sync -- --simulated` and tests.
 */
export async function startSimulatedChain(opts: SimulatedChainOptions): Promise<SimulatedChain> {
  const node = await startEvmNode();
  const script = new ExchangeScript(node);
  const exchanges: Address[] = [CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2];
  await script.install(exchanges);
  const genesis = opts.genesisBlock ?? V2_GENESIS_BLOCK;
  await script.mineTo(genesis);
  const perTx = opts.fillsPerTransaction ?? 25;
  const between = opts.blocksBetween ?? 3;

  const emit = async (count: number, seed: number) => {
    const r = rng(seed);
    for (let done = 0; done < count;) {
      const n = Math.min(perTx, count - done);
      const fills = Array.from({ length: n }, () => {
        const f = randomFill(r);
        const token = opts.tokenIds[Math.floor(r() * opts.tokenIds.length)];
        return token ? { ...f, tokenId: BigInt(token) } : f;
      });
      await script.emitFills(exchanges[Math.floor(r() * exchanges.length)]!, fills);
      await script.mine(between);
      done += n;
    }
  };
  await emit(opts.fills, opts.seed);

  return {
    rpcUrl: node.url,
    script,
    env: {
      POLYGON_RPC_URL: node.url,
      CHAIN_GENESIS_BLOCK: String(genesis),
      CHAIN_USE_FINALIZED: 'false',
      CHAIN_CONFIRMATIONS: '0',
      // A V2-only chain: V1 history, where a test wants it, comes from the simulated subgraph.
      CHAIN_V1_FILLS: 'false',
    },
    expectedRows: () => script.expectedRows(),
    emit,
    close: () => node.close(),
  };
}
