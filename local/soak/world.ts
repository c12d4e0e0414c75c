/**
 * The soak's world: a simulated Polygon (simulator/world, both exchange eras,
 * the CTF, the NegRiskAdapter, collateral adapters) sized as `sync
 * --simulated` sizes it, with the orderbook subgraph and the market lists
 * over the same markets. The sync reads V1 fills from the subgraph and
 * everything else from the chain (V2 fills, and the splits, merges,
 * redemptions, conversions and resolutions of both eras that positions
 * need), so all three sources are in the run.
 */
import type { FillRow } from '#shared/model/fill.ts';
import { computePositions, type PositionRow } from '#shared/positions/method.ts';
import { V1_EXCHANGES } from '#shared/sources/chain/events/addresses.ts';
import type { Dataset } from '#simulator/index.ts';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { simulatedWorldShape } from '#local/cli/simulated.ts';

export interface SoakWorld {
  world: ChainWorld;
  /** What the subgraph and the market lists serve. */
  dataset: Dataset;
  /** The settings that read V1 from the subgraph and the rest from the chain. */
  sources: Record<string, string>;
  /** Every fill id a correct sync loads: the subgraph's V1 fills and the chain's V2 fills. */
  fillIds(): string[];
  /** The V2 fills, read from the chain. */
  chainFills: FillRow[];
  /** Positions as the product's method computes them from the world's own events (what the warehouse must hold). */
  positions(): PositionRow[];
}

export async function buildSoakWorld(o: { fills: number; markets: number; seed: number }): Promise<SoakWorld> {
  const world = await startChainWorld(simulatedWorldShape(o));
  const dataset = world.subgraphDataset({ lists: { clobMissShare: 0.06 } });
  const v1 = new Set<string>(V1_EXCHANGES);
  const chainFills = world.expected.fills.filter((f) => !v1.has(f.exchange));
  return {
    world,
    dataset,
    sources: { SYNC_SOURCES: 'markets,subgraph,chain', CHAIN_V1_FILLS: 'false' },
    fillIds: () => [...dataset.fills.map((f) => f.id.toLowerCase()), ...chainFills.map((f) => f.fill_id)],
    chainFills,
    positions: () => {
      const e = world.expected;
      // Subgraph fills carry no chain position (block 0), so the method leaves them out, in the warehouse as here.
      return computePositions({ fills: chainFills, activity: e.activity, conditions: e.conditions, questions: e.negRiskQuestions });
    },
  };
}
