import type { Address } from 'viem';
import { startEvmNode, type EvmNode } from '#simulator/chain/node.ts';
import { V1_LAST_FILL, V1_START, type Dataset, type SimMarket } from '#simulator/dataset.ts';
import type { ListCoverageOptions } from '#simulator/market-lists.ts';
import { Rng, mixSeed } from '#simulator/rng.ts';
import { V1_GENESIS_BLOCK } from '#shared/sources/chain/events/addresses.ts';
import { WORLD_ADAPTERS, type WorldAdapters } from './addresses.ts';
import { runEra, type EraOptions } from './era.ts';
import { expectedFrom, type ExpectedWorld } from './expected.ts';
import { toSimMarket } from './markets.ts';
import { MIN_SLOTS } from './showcase.ts';
import { v1Showcase, type V1Carry } from './showcase-v1.ts';
import { v2Showcase } from './showcase-v2.ts';
import { WorldState } from './state.ts';
import { marketsAdded, subgraphDataset } from './subgraph.ts';
import { countTraps, type TrapCounts } from './traps.ts';
import { WorldWallets } from './wallets.ts';
import { ChainWriter } from './writer.ts';

export * from './addresses.ts';
export type { ExpectedWorld } from './expected.ts';
export type { TrapCounts } from './traps.ts';
export type { EmittedTx, EmittedLog } from './writer.ts';
export type { WorldLog, LogKind } from './logs.ts';

/**
 * A simulated Polygon on a real EVM node (Hardhat's EDR, in-process): fakes
 * of the V1 and V2 exchanges, the CTF and the NegRiskAdapter at their real
 * addresses, emitting every event the sync reads, in both eras, with the
 * traps that break a naive reader or P&L (see showcase-v1.ts, showcase-v2.ts).
 *
 * The world is compact: it starts at the V1 CTF Exchange's first block
 * (33,605,403) with V1 block times from 2022-11 to 2026-04-28T11:00:40Z, and
 * the V2 era follows in the very next blocks (times after the V1 subgraph's
 * last fill) instead of 51M blocks later at V2's real genesis 84,902,353.
 * Every contract's logs, the NegRisk exchange's included, sit in that one
 * range, so a reader is pointed at it with CHAIN_GENESIS_BLOCK (see `env`).
 */

/** Sizes of one era's random part; the showcase adds its scripted markets, fills and activity. */
export interface EraSize {
  /** OrderFilled logs of random matches. */
  fills: number;
  /** Random user operations (split, merge, convert, redeem, transfer). */
  activity: number;
  /** Standard markets opened in the era. */
  markets: number;
  /** NegRisk markets (3 to 6 questions each) opened in the era. */
  negRiskMarkets: number;
}

export interface ChainWorldOptions {
  /** Default 1. The same options and seed build the same chain, block for block. */
  seed?: number;
  /** Default { fills: 2000, activity: 150, markets: 12, negRiskMarkets: 3 }. */
  v1?: Partial<EraSize>;
  /** Default { fills: 1200, activity: 120, markets: 6, negRiskMarkets: 2 }. */
  v2?: Partial<EraSize>;
  /** Random traders of V1, and new random traders of V2 (default 40). */
  wallets?: number;
  /** V1 traders who trade in V2 too (default 8). */
  veterans?: number;
  /** Fills per transaction of random matches (default 40). */
  fillsPerTransaction?: number;
  /** Up to this many empty blocks before each block with transactions (default 12). */
  maxEmptyBlocks?: number;
  /** Collateral adapters (default WORLD_ADAPTERS, placeholders). */
  adapters?: WorldAdapters;
  /** Keep EDR's blockTimestamp on eth_getLogs results, as some providers do (default false). */
  logTimestamps?: boolean;
  /** Date every block this many seconds after its parent, not by the schedule's clock (default: the clock). */
  blockSeconds?: number;
}

/** New V2-era blocks for an incremental run. */
export interface ExtendOptions {
  /** Default: derived from the world's seed and the extension's number. */
  seed?: number;
  /** Defaults { fills: 200, activity: 30, markets: 2, negRiskMarkets: 1 }. */
  size?: Partial<EraSize>;
  /** Seconds the new blocks span after the head (default one day). */
  span?: number;
}

export interface BlockRange {
  fromBlock: number;
  toBlock: number;
}

export interface ChainWorld {
  rpcUrl: string;
  node: EvmNode;
  /** Settings that point the chain source at this world. */
  env: Record<string, string>;
  adapters: WorldAdapters;
  /** What a correct reader loads from everything mined so far (recomputed by extend). */
  readonly expected: ExpectedWorld;
  /** Traps present in `expected` (recomputed by extend). */
  readonly traps: TrapCounts;
  /** Every binary market, CLOB-list shaped; one live array that extend updates in place. */
  markets: SimMarket[];
  /** Block ranges: V1 era, V2 era, then one per extension. */
  readonly eras: { v1: BlockRange; v2: BlockRange; extensions: BlockRange[] };
  /**
   * The V1 fills as the orderbook subgraph serves them, over `markets`
   * (for startSimulatedSources); its marketDatas lack the markets first
   * prepared in V2, and carry no outcome index, as the real subgraph. One
   * object per world, built on the first call (whose `lists` coverage
   * applies; default: the CLOB and Gamma lists know every market); extend
   * bumps its version.
   */
  subgraphDataset(opts?: { lists?: ListCoverageOptions }): Dataset;
  /** Mines new V2-era blocks strictly after the head. */
  extend(opts?: ExtendOptions): Promise<BlockRange>;
  close(): Promise<void>;
}

const DAY = 86_400;
const V1_DEFAULT: EraSize = { fills: 2000, activity: 150, markets: 12, negRiskMarkets: 3 };
const V2_DEFAULT: EraSize = { fills: 1200, activity: 120, markets: 6, negRiskMarkets: 2 };
const EXTEND_DEFAULT: EraSize = { fills: 200, activity: 30, markets: 2, negRiskMarkets: 1 };

export async function startChainWorld(opts: ChainWorldOptions = {}): Promise<ChainWorld> {
  const seed = opts.seed ?? 1;
  const adapters = opts.adapters ?? WORLD_ADAPTERS;
  const s = new WorldState(new Rng(mixSeed(seed, 'world')), { ctf: adapters.ctf.toLowerCase() as Address, negRisk: adapters.negRisk.toLowerCase() as Address });
  const wallets = new WorldWallets(new Rng(mixSeed(seed, 'wallets')));
  const v1Wallets = wallets.traders(Array.from({ length: opts.wallets ?? 40 }, () => s.address()));
  const v2Wallets = [...v1Wallets.slice(0, opts.veterans ?? 8), ...wallets.traders(Array.from({ length: opts.wallets ?? 40 }, () => s.address()))];
  const walletLogs = (traders: readonly Address[]) => (slots: number) => wallets.script(traders, slots);
  // The node's genesis is dated so that 33.6M one-second blocks still end before 2022-11-21.
  const node = await startEvmNode({ initialDate: new Date(Date.UTC(2021, 8, 1)), logTimestamps: opts.logTimestamps ?? false });
  try {
    const writer = await ChainWriter.open(node, V1_GENESIS_BLOCK, opts.blockSeconds);
    const common = { fillsPerTransaction: opts.fillsPerTransaction ?? 40, maxEmptyBlocks: opts.maxEmptyBlocks ?? 12, minSlots: MIN_SLOTS };
    const era = (e: 'v1' | 'v2', size: EraSize): Pick<EraOptions, 'era' | 'fills' | 'activity' | 'standardMarkets' | 'negRiskMarkets'> => ({
      era: e,
      fills: size.fills,
      activity: size.activity,
      standardMarkets: size.markets,
      negRiskMarkets: size.negRiskMarkets,
    });
    let carry: V1Carry | undefined;
    await runEra(writer, s, {
      ...common,
      ...era('v1', { ...V1_DEFAULT, ...opts.v1 }),
      start: V1_START,
      end: V1_LAST_FILL,
      wallets: v1Wallets,
      walletLogs: walletLogs(v1Wallets),
      resolveShare: 0.5,
      adapterShare: 0,
      firstBlockExact: true,
      meetsMigration: 'at-end',
      showcase: (c, slots) => {
        const v1 = v1Showcase(c, slots);
        carry = v1.carry;
        return v1.showcase;
      },
    });
    const v1: BlockRange = { fromBlock: Number(V1_GENESIS_BLOCK), toBlock: writer.head.number };
    await runEra(writer, s, {
      ...common,
      ...era('v2', { ...V2_DEFAULT, ...opts.v2 }),
      start: V1_LAST_FILL,
      end: V1_LAST_FILL + 30 * DAY,
      wallets: v2Wallets,
      walletLogs: walletLogs(v2Wallets),
      resolveShare: 0.35,
      adapterShare: 0.7,
      firstBlockExact: false,
      meetsMigration: 'at-start',
      showcase: (c, slots) => v2Showcase(c, slots, carry as V1Carry),
    });
    const eras = { v1, v2: { fromBlock: v1.toBlock + 1, toBlock: writer.head.number }, extensions: [] as BlockRange[] };

    const markets: SimMarket[] = [];
    const chain = () => ({ firstBlock: Number(V1_GENESIS_BLOCK), head: { block: writer.head.number, timestamp: writer.head.timestamp } });
    let expected = expectedFrom(writer.txs, chain());
    let traps = countTraps(expected, { adapters: s.adapters, v2FirstBlock: eras.v2.fromBlock });
    let dataset: Dataset | undefined;
    const v2Conditions = (from = 0) =>
      s.markets
        .slice(from)
        .filter((m) => m.era === 'v2')
        .map((m) => m.conditionId);
    const refresh = () => {
      expected = expectedFrom(writer.txs, chain());
      traps = countTraps(expected, { adapters: s.adapters, v2FirstBlock: eras.v2.fromBlock });
      const known = markets.length;
      markets.splice(0, markets.length, ...s.markets.map((m) => toSimMarket(m, writer.head.timestamp)));
      if (dataset) marketsAdded(dataset, known, v2Conditions(known));
    };
    refresh();

    return {
      rpcUrl: node.url,
      node,
      adapters: s.adapters,
      env: {
        POLYGON_RPC_URL: node.url,
        CHAIN_GENESIS_BLOCK: String(V1_GENESIS_BLOCK),
        CHAIN_USE_FINALIZED: 'false',
        CHAIN_CONFIRMATIONS: '0',
        CHAIN_ADAPTERS: `${s.adapters.ctf},${s.adapters.negRisk}`,
      },
      get expected() {
        return expected;
      },
      get traps() {
        return traps;
      },
      markets,
      eras,
      subgraphDataset(o = {}) {
        dataset ??= subgraphDataset(seed, markets, expected.fills, v2Conditions(), o.lists);
        return dataset;
      },
      async extend(o = {}) {
        const n = eras.extensions.length + 1;
        s.rng = new Rng(o.seed ?? mixSeed(seed, `extend:${n}`));
        const size = { ...EXTEND_DEFAULT, ...o.size };
        const from = writer.head;
        await runEra(writer, s, {
          ...common,
          ...era('v2', size),
          minSlots: 3,
          start: from.timestamp,
          end: from.timestamp + (o.span ?? DAY),
          wallets: v2Wallets,
          walletLogs: walletLogs(v2Wallets),
          resolveShare: 0.3,
          adapterShare: 0.7,
          firstBlockExact: false,
          showcase: null,
        });
        const range = { fromBlock: from.number + 1, toBlock: writer.head.number };
        eras.extensions.push(range);
        refresh();
        return range;
      },
      close: () => node.close(),
    };
  } catch (err) {
    await node.close();
    throw err;
  }
}
