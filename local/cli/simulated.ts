import { InvalidArgumentError } from 'commander';

export const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

export interface SimulatedFlags {
  markets: number;
  fills: number;
  /** V2 fills on the simulated chain; default a tenth of `fills`. */
  chainFills?: number;
  seed: number;
}

/**
 * All three simulated sources from one seed (the subgraph, the market list
 * and a Polygon node trading the same tokens), as `--simulated` runs them.
 * The same flags always give the same data, so a replay sees what the sync saw.
 */
export async function startSimulatedWorld(flags: SimulatedFlags) {
  const { generateDataset, startSimulatedSources } = await import('#simulator/index.ts');
  const { startSimulatedChain } = await import('#simulator/chain/index.ts');
  const dataset = generateDataset({ seed: flags.seed, markets: flags.markets, fills: flags.fills });
  const sim = await startSimulatedSources({ dataset });
  const chainFills = flags.chainFills ?? Math.max(1, Math.round(flags.fills / 10));
  const chain = await startSimulatedChain({
    seed: flags.seed,
    fills: chainFills,
    tokenIds: dataset.markets.flatMap((m) => m.tokens.map((t) => t.tokenId)),
  }).catch(async (err: unknown) => {
    await sim.close();
    throw err;
  });
  return {
    env: { ...sim.env, ...chain.env, SYNC_SOURCES: process.env.SYNC_SOURCES ?? 'markets,subgraph,chain' },
    describe:
      `simulated sources: ${flags.markets.toLocaleString()} markets, ${flags.fills.toLocaleString()} subgraph fills, ` +
      `${chainFills.toLocaleString()} chain fills (seed ${flags.seed})`,
    async close() {
      await chain.close();
      await sim.close();
    },
  };
}
