import type { Address } from 'viem';
import { createEventCatalogue } from '#shared/sources/chain/events/index.ts';
import type { LogCatalogue } from '#shared/sources/chain/index.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { loadLogIndex, type LogIndex } from './log-index.ts';

export interface BenchWorldOptions {
  /** Random fills of both eras together (half each; little other activity, which the bench does not read); the showcases add a few. */
  fills: number;
  /** Fills per transaction, one transaction-bearing block each (smaller: smoother density, slower to build). */
  fillsPerTransaction: number;
  /** Empty blocks before each block with transactions, at most (the average is half): sets the density. */
  maxEmptyBlocks: number;
  seed: number;
  /** Date every block this many seconds after its parent, not by the world's clock (default: the clock). */
  blockSeconds?: number | undefined;
}

export interface BenchWorld {
  world: ChainWorld;
  index: LogIndex;
  /** The adapters the catalogue attributes activity to (a child rebuilds the catalogue from them). */
  adapters: Address[];
  catalogue: LogCatalogue;
  /** fill_id of every fill on the chain. */
  expected: Set<string>;
  /** Logs the catalogue reads (what every eth_getLogs filter matches), over the world's blocks. */
  logs: number;
  firstBlock: number;
  lastBlock: number;
  buildMs: number;
}

/**
 * The fills of both eras (OrderFilled of the four exchanges): what the bench
 * reads with the source and the scanner alike, so both send the same filter
 * and get the same logs. (With activity on, the source also reads receipts
 * of adapter-routed transactions, a cost the scanner would not have.)
 */
export const benchCatalogue = (adapters: readonly string[]): LogCatalogue =>
  createEventCatalogue({ v1Fills: true, activity: false, tokenRegistry: false, adapters });

/** Builds the simulated chain (both eras on EDR, blockTimestamp kept on its logs) and the provider's index of its logs. */
export async function startBenchWorld(o: BenchWorldOptions): Promise<BenchWorld> {
  const started = performance.now();
  const half = Math.max(1, Math.round(o.fills / 2));
  const era = (markets: number) => ({ fills: half, activity: 10, markets, negRiskMarkets: Math.max(1, Math.round(markets / 4)) });
  const world = await startChainWorld({
    seed: o.seed,
    logTimestamps: true,
    fillsPerTransaction: o.fillsPerTransaction,
    maxEmptyBlocks: o.maxEmptyBlocks,
    ...(o.blockSeconds ? { blockSeconds: o.blockSeconds } : {}),
    v1: era(12),
    v2: era(8),
  });
  try {
    const firstBlock = world.eras.v1.fromBlock;
    const lastBlock = world.eras.v2.toBlock;
    const index = await loadLogIndex(world.rpcUrl, firstBlock, lastBlock);
    const adapters = [world.adapters.ctf, world.adapters.negRisk];
    const catalogue = benchCatalogue(adapters);
    const addresses = new Set(catalogue.addresses.map((a) => a.toLowerCase()));
    const topics = new Set(catalogue.topics.map((t) => t.toLowerCase()));
    const logs = index.logs.filter((l) => addresses.has(l.address) && topics.has(l.topic0)).length;
    return {
      world,
      index,
      adapters,
      catalogue,
      expected: new Set(world.expected.fills.map((f) => f.fill_id)),
      logs,
      firstBlock,
      lastBlock,
      buildMs: performance.now() - started,
    };
  } catch (err) {
    await world.close();
    throw err;
  }
}
