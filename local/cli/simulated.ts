import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, readSettings } from '#shared/config.ts';
import type { SourceName } from '#shared/sources/source.ts';
import type { ChainWorldOptions } from '#simulator/world/index.ts';
import { SIMULATED_WORLD_VERSION } from '#simulator/world/version.ts';

export interface SimulatedFlags {
  markets: number;
  fills: number;
  /** V2-era fills; default a third of `fills`. */
  chainFills?: number;
  seed: number;
  /** Take V1 history from the simulated subgraph instead of the simulated chain. */
  subgraph?: boolean;
}

/** The world `sync` and `replay` simulate when no flag says otherwise. */
export const SIMULATED_DEFAULTS = { markets: 40, fills: 30_000, seed: 1 } as const;

/**
 * The flags that name this simulated world on a command line, leaving out
 * the defaults: what a hint to run another command on the same world must
 * carry (a data directory holds one world; see `claimSimulatedWorld`).
 */
export function simulatedWorldArgs(flags: SimulatedFlags): string {
  return [
    '--simulated',
    ...(flags.seed !== SIMULATED_DEFAULTS.seed ? [`--seed ${flags.seed}`] : []),
    ...(flags.markets !== SIMULATED_DEFAULTS.markets ? [`--markets ${flags.markets}`] : []),
    ...(flags.fills !== SIMULATED_DEFAULTS.fills ? [`--fills ${flags.fills}`] : []),
    ...(flags.chainFills !== undefined ? [`--chain-fills ${flags.chainFills}`] : []),
    ...(flags.subgraph ? ['--subgraph'] : []),
  ].join(' ');
}

/** `npm run sync -- …` as a hint prints it: with this world's flags when simulated. */
export function syncCommandLine(flags: Partial<SimulatedFlags> & { simulated?: boolean | undefined }, ...args: string[]): string {
  const world = flags.simulated ? [simulatedWorldArgs({ ...SIMULATED_DEFAULTS, ...flags })] : [];
  const rest = [...world, ...args];
  return rest.length > 0 ? `npm run sync -- ${rest.join(' ')}` : 'npm run sync';
}

/** The sources a simulated world serves: V1 history from the subgraph with --subgraph, else from the chain. */
const simulatedSources = (flags: { subgraph?: boolean | undefined }) => (flags.subgraph ? 'markets,subgraph,chain' : 'markets,chain');

/**
 * The sources a command plans for (sync, replay), before anything starts:
 * with --simulated the simulated world's (SYNC_SOURCES still wins, as it does
 * in the world's settings), else SYNC_SOURCES.
 */
export function enabledSources(flags: { simulated?: boolean | undefined; subgraph?: boolean | undefined }, env = process.env): readonly SourceName[] {
  return readSettings(['SYNC_SOURCES'], flags.simulated ? { SYNC_SOURCES: env.SYNC_SOURCES || simulatedSources(flags) } : env).SYNC_SOURCES;
}

/**
 * How `--markets/--fills/--chain-fills/--seed` shape the simulated chain: a
 * third of the fills in V2 unless told, a fifteenth of an era's fills as
 * activity, two thirds of the markets in V1, a quarter of an era's markets
 * NegRisk. The soak sizes its world the same way.
 */
export function simulatedWorldShape(o: { seed: number; markets: number; fills: number; chainFills?: number | undefined }): ChainWorldOptions {
  const v2Fills = o.chainFills ?? Math.max(1, Math.round(o.fills / 3));
  const v1Fills = Math.max(1, o.fills - v2Fills);
  const era = (fills: number, markets: number) => ({
    fills,
    activity: Math.max(10, Math.round(fills / 15)),
    markets: Math.max(2, markets),
    negRiskMarkets: Math.max(1, Math.round(markets / 4)),
  });
  const v1Markets = Math.max(2, Math.round((o.markets * 2) / 3));
  return { seed: o.seed, v1: era(v1Fills, v1Markets), v2: era(v2Fills, o.markets - v1Markets) };
}

/** The file in a data directory that names the simulated world synced into it. */
export const SIMULATED_WORLD_FILE = 'simulated-world.json';

/** What makes one simulated world another: its flags, with a default third of the fills in V2 resolved. */
function worldIdentity(flags: SimulatedFlags) {
  const shape = simulatedWorldShape(flags);
  return {
    seed: flags.seed,
    markets: flags.markets,
    fills: flags.fills,
    chainFills: shape.v2?.fills ?? 0,
    v1From: flags.subgraph ? 'subgraph' : 'chain',
    worldVersion: SIMULATED_WORLD_VERSION,
  };
}
type WorldIdentity = ReturnType<typeof worldIdentity>;

const worldFlags = (w: Omit<WorldIdentity, 'worldVersion'>) =>
  `--seed ${w.seed} --markets ${w.markets} --fills ${w.fills} --chain-fills ${w.chainFills}${w.v1From === 'subgraph' ? ' --subgraph' : ''}`;

/**
 * Records which simulated world a data directory holds, and refuses a run of
 * another one there: each seed, size and V1 source is a world of its own,
 * whose fills share no ids with another's, so syncing two into one
 * warehouse would mix them (and `check` could not tell).
 */
export function claimSimulatedWorld(dataDir: string, flags: SimulatedFlags): void {
  const file = join(dataDir, SIMULATED_WORLD_FILE);
  const wanted = worldIdentity(flags);
  if (existsSync(file)) {
    const held = JSON.parse(readFileSync(file, 'utf8')) as Omit<WorldIdentity, 'worldVersion'> & { worldVersion?: number };
    // Files written before the version was recorded hold the first build.
    const heldVersion = held.worldVersion ?? 1;
    const dir = relative(process.cwd(), dataDir) || '.';
    if (worldFlags(held) === worldFlags(wanted)) {
      if (heldVersion === wanted.worldVersion) return;
      throw new ConfigError(
        `${dir} holds the simulated world of ${worldFlags(held)} as an older polymarket-sync built it (world version ${heldVersion}); ` +
          `this one builds that world differently (version ${wanted.worldVersion}), with other transactions, so its fills would be new ones beside the old. ` +
          `Remove ${dir} to start over, or give this run a directory of its own (SYNC_DATA_DIR=${dir}-v${wanted.worldVersion}).`,
      );
    }
    throw new ConfigError(
      `${dir} holds the simulated world of ${worldFlags(held)}; this run asks for ${worldFlags(wanted)}. ` +
        `Two worlds in one warehouse would mix their fills. Run with the first world's flags, give this one a directory of its own ` +
        `(SYNC_DATA_DIR=${dir}-${wanted.seed}), or remove ${dir} to start over.`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(wanted, null, 2)}\n`);
}

/**
 * A simulated Polygon (both exchange eras, the CTF, the NegRiskAdapter and
 * collateral adapters, with resolutions, splits, merges, redemptions and
 * conversions), and market lists over the same markets that miss some of
 * them, as `--simulated` runs them. The same flags always give the same data,
 * so a replay sees what the sync saw.
 */
export async function startSimulatedWorld(flags: SimulatedFlags) {
  const { startSimulatedSources } = await import('#simulator/index.ts');
  const { startChainWorld } = await import('#simulator/world/index.ts');
  const world = await startChainWorld(simulatedWorldShape(flags));
  const dataset = world.subgraphDataset({ lists: { clobMissShare: 0.06 } });
  const sim = await startSimulatedSources({ dataset }).catch(async (err: unknown) => {
    await world.close();
    throw err;
  });
  const sources = { SYNC_SOURCES: simulatedSources(flags), CHAIN_V1_FILLS: flags.subgraph ? 'false' : 'true' };
  const e = world.expected;
  return {
    env: { ...sim.env, ...world.env, ...sources, ...(process.env.SYNC_SOURCES ? { SYNC_SOURCES: process.env.SYNC_SOURCES } : {}) },
    describe:
      `simulated sources: ${world.markets.length.toLocaleString()} markets, ${e.fills.length.toLocaleString()} fills on chain ` +
      `(V1 ${flags.subgraph ? 'read from the simulated subgraph' : 'and V2 read from the chain'}), ${e.activity.length.toLocaleString()} splits/merges/redemptions/conversions, ` +
      `${e.conditions.length.toLocaleString()} conditions; the CLOB list misses ${dataset.lists?.omitted.clob.size ?? 0} markets (seed ${flags.seed})`,
    async close() {
      await sim.close();
      await world.close();
    },
  };
}
