import type { Command } from 'commander';
import { boundedInt, CLI_NUMBERS } from '#local/cli/numbers.ts';
import { load } from '#bench/lib/machine.ts';
import { measureProfile, profileLimit, type ProfileFigures } from './chain/measure.ts';
import { fetcherFunctions } from './chain/run-source.ts';
import { PROFILES, type ProviderProfile } from './chain/profiles.ts';
import { chainSection, SHARE_TARGET } from './chain/report.ts';
import { v2Backfill, type V2Estimate } from './chain/v2-estimate.ts';
import { runVolume, type VolumeRun } from './chain/volume.ts';
import { startBenchWorld, type BenchWorldOptions } from './chain/world.ts';
import type { BenchPart, PartReport } from './part.ts';

export interface ChainBenchOptions extends BenchWorldOptions {
  fetchers: number;
  /** The paid profile's result cap is 10,000 divided by this (see the section). */
  paidScale: number;
  /** Profiles to run (default all). */
  profiles: readonly ProviderProfile['name'][];
  /** Run each profile with and without blockTimestamp (default both). */
  timestamps: readonly boolean[];
  execArgv?: string[];
  /** Run the clients in this process rather than a child each (the smoke test: no figures are read). */
  inProcess?: boolean;
  /** Every profile's latency instead of its own (the smoke test). */
  latencyMs?: number;
  /**
   * A profile whose limit at the world's density is above this many fills/s
   * runs slowed down by limit / this: its calls/s divided, its latency
   * multiplied (so the calls in flight it takes, rate x latency, stay the
   * same), to keep the clients off the shared CPU's wall. Default: none.
   */
  maxLimit?: number;
  /** The paid profile's at-volume run (bench/parts/chain/volume.ts): its world's fills (0: none) and empty blocks between them, at most. */
  volumeFills: number;
  volumeMaxEmptyBlocks: number;
  /** Seconds between blocks of the at-volume world built again at the least time its rule allows, run without blockTimestamp (0: no such run). */
  volumeBlockSeconds: number;
}

/**
 * The world: one fill per transaction-bearing block and up to 18 empty blocks
 * between (0.1 fills a block). Polygon's stream is smooth (fills in nearly
 * every block, about 22 a block), so the count in a window of blocks varies by
 * a few percent, as it does here; bursts of 10 fills with up to 200 empty
 * blocks between (the world before 2026-12-01, same density) made it vary by
 * a quarter, which no result-capped client can aim under without wasting
 * calls. Smoother still (fills in every block) would put this density's
 * fills in fewer blocks than a span-capped plan needs to show its paging.
 */
export const CHAIN_DEFAULTS = {
  fills: 30_000,
  fillsPerTransaction: 1,
  maxEmptyBlocks: 18,
  fetchers: 8,
  paidScale: 50,
  maxLimit: 1_500,
  // The at-volume world: about 800 paid requests, a fill in every other block on average (Polygon's fills are in nearly every block;
  // this run shows no span cap, so it needs no gaps), built in about 4 minutes.
  volumeFills: 150_000,
  volumeMaxEmptyBlocks: 2,
  // The node's rule: each block at least a second after its parent.
  volumeBlockSeconds: 1,
} as const;

export function chainProfiles(o: Pick<ChainBenchOptions, 'paidScale' | 'profiles' | 'latencyMs'>): ProviderProfile[] {
  return PROFILES.filter((p) => o.profiles.includes(p.name)).map((p) => ({
    ...p,
    ...(p.name === 'paid' && p.maxResults !== undefined ? { maxResults: Math.round(p.maxResults / o.paidScale) } : {}),
    ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
  }));
}

export interface ChainBenchRun {
  world: { fills: number; logs: number; firstBlock: number; lastBlock: number; buildMs: number };
  runs: ProfileFigures[];
  /** The paid profile at volume, when it ran. */
  volume?: VolumeRun | undefined;
  /** Every client read exactly the world's fills and the source's coverage tiles the range. */
  ok: boolean;
}

/** Builds the world, then runs the source and the scanner through each profile. */
async function runMainWorld(o: ChainBenchOptions, log: (line: string) => void): Promise<ChainBenchRun> {
  log(
    `building the simulated chain: ${o.fills.toLocaleString('en-US')} fills, ${o.fillsPerTransaction} per transaction, up to ${o.maxEmptyBlocks} empty blocks between`,
  );
  const w = await startBenchWorld(o);
  try {
    log(`world: ${w.logs.toLocaleString('en-US')} fills over blocks ${w.firstBlock}..${w.lastBlock}, built in ${(w.buildMs / 1000).toFixed(1)} s`);
    const runs: ProfileFigures[] = [];
    for (const real of chainProfiles(o)) {
      const slowdown = o.maxLimit === undefined ? 1 : Math.max(1, profileLimit(real, w).limit / o.maxLimit);
      const profile = slowed(real, slowdown);
      for (const ts of o.timestamps) {
        log(`${profile.name} ${ts ? 'with' : 'without'} blockTimestamp: the source, then the scanner`);
        const f = await measureProfile(w, profile, ts, { fetchers: o.fetchers, seed: o.seed, execArgv: o.execArgv, inProcess: o.inProcess });
        log(
          `${profile.name} ${ts ? 'with' : 'without'} blockTimestamp: source ${f.source.seconds.toFixed(1)} s ` +
            `(${(f.source.shareOfLimit * 100).toFixed(1)}% of the limit), scanner ${f.scanner.seconds.toFixed(1)} s, ${f.speedUp.toFixed(1)}x`,
        );
        runs.push({ ...f, slowdown });
      }
    }
    const ok = runs.every((r) => r.source.exact && r.scanner.exact && r.source.coverageExact);
    return { world: { fills: w.expected.size, logs: w.logs, firstBlock: w.firstBlock, lastBlock: w.lastBlock, buildMs: w.buildMs }, runs, ok };
  } finally {
    await w.world.close();
  }
}

/**
 * The main world's runs, then the paid profile at volume (when asked for and the paid profile ran), slowed down as
 * there (the smoke test calls this at a small size).
 */
export async function runChainBench(o: ChainBenchOptions, log: (line: string) => void): Promise<ChainBenchRun> {
  const run = await runMainWorld(o, log);
  const paid = run.runs.find((r) => r.profile.name === 'paid');
  if (o.volumeFills <= 0 || !paid) return run;
  const volume = await runVolume(
    { ...o, fills: o.volumeFills, maxEmptyBlocks: o.volumeMaxEmptyBlocks, steadyBlockSeconds: o.volumeBlockSeconds },
    paid.profile,
    paid.slowdown ?? 1,
    log,
  );
  return { ...run, volume, ok: run.ok && volume.ok };
}

/** The profile at 1/`k` of its speed: calls/s ÷ k, latency × k (the calls in flight it needs are unchanged). */
export const slowed = (p: ProviderProfile, k: number): ProviderProfile =>
  k === 1 ? p : { ...p, callsPerSecond: p.callsPerSecond / k, latencyMs: p.latencyMs * k };

/** V2 estimates from the share each profile reached with blockTimestamp (the real-volume figure the issue asks for), at volume where it ran there. */
export function v2Estimates(runs: readonly ProfileFigures[], fetchers: number, asOf: Date, volume?: VolumeRun): V2Estimate[] {
  return runs
    .filter((r) => r.logTimestamps)
    .map((r) => {
      const atVolume = volume?.runs.find((v) => v.logTimestamps && v.profile.name === r.profile.name);
      return v2Backfill(PROFILES.find((p) => p.name === r.profile.name) ?? r.profile, (atVolume ?? r).source.shareOfLimit, fetchers, asOf);
    });
}

/** A comma-separated list of some of `allowed`, for a flag; anything else is refused naming the flag. */
const listOf =
  <T extends string>(flag: string, allowed: readonly T[]) =>
  (v: string): T[] => {
    const items = v.split(',').map((s) => s.trim());
    for (const x of items) if (!allowed.includes(x as T)) throw new Error(`${flag}: ${x} is none of ${allowed.join(', ')}`);
    return items as T[];
  };
const profileNames = listOf(
  '--chain-profiles',
  PROFILES.map((p) => p.name),
);
const timestampModes = (v: string): boolean[] => listOf('--chain-timestamps', ['with', 'without'])(v).map((x) => x === 'with');

export const chainPart: BenchPart = {
  name: 'chain',
  addOptions(command: Command) {
    return command
      .option('--chain-fills <n>', 'chain part: fills on the simulated chain, both eras', CLI_NUMBERS.fills, CHAIN_DEFAULTS.fills)
      .option('--chain-fills-per-tx <n>', 'chain part: fills per transaction-bearing block', boundedInt(1, 400), CHAIN_DEFAULTS.fillsPerTransaction)
      .option(
        '--chain-max-empty-blocks <n>',
        'chain part: empty blocks between them, at most (sets the density)',
        boundedInt(0, 100_000),
        CHAIN_DEFAULTS.maxEmptyBlocks,
      )
      .option(
        '--chain-fetchers <n>',
        "chain part: shards paged at once (fetchers × the shard queue's batch size)",
        CLI_NUMBERS.benchWorkers,
        CHAIN_DEFAULTS.fetchers,
      )
      .option('--chain-paid-scale <n>', 'chain part: the paid profile result cap is 10,000 divided by this', boundedInt(1, 1_000), CHAIN_DEFAULTS.paidScale)
      .option(
        '--chain-max-limit <n>',
        'chain part: slow a profile down until its limit is at most this many fills/s (0: never)',
        boundedInt(0, 10_000_000),
        CHAIN_DEFAULTS.maxLimit,
      )
      .option(
        '--chain-volume-fills <n>',
        'chain part: fills on the paid profile at-volume world (0: no such run)',
        boundedInt(0, 10_000_000),
        CHAIN_DEFAULTS.volumeFills,
      )
      .option(
        '--chain-volume-max-empty-blocks <n>',
        'chain part: empty blocks between fills on the at-volume world, at most',
        boundedInt(0, 100_000),
        CHAIN_DEFAULTS.volumeMaxEmptyBlocks,
      )
      .option(
        '--chain-volume-block-seconds <n>',
        'chain part: build the at-volume world again with every block this many seconds after its parent, and run it without blockTimestamp (0: no such run)',
        boundedInt(0, 60),
        CHAIN_DEFAULTS.volumeBlockSeconds,
      )
      .option('--chain-profiles <list>', 'chain part: profiles to run (paid,span-capped,public)', profileNames, ['paid', 'span-capped', 'public'])
      .option('--chain-timestamps <list>', 'chain part: run each profile with and/or without blockTimestamp in the logs (with,without)', timestampModes, [
        true,
        false,
      ]);
  },
  async run(ctx): Promise<PartReport> {
    const f = ctx.flags;
    const o: ChainBenchOptions = {
      fills: Number(f.chainFills ?? CHAIN_DEFAULTS.fills),
      fillsPerTransaction: Number(f.chainFillsPerTx ?? CHAIN_DEFAULTS.fillsPerTransaction),
      maxEmptyBlocks: Number(f.chainMaxEmptyBlocks ?? CHAIN_DEFAULTS.maxEmptyBlocks),
      fetchers: Number(f.chainFetchers ?? CHAIN_DEFAULTS.fetchers),
      paidScale: Number(f.chainPaidScale ?? CHAIN_DEFAULTS.paidScale),
      profiles: (f.chainProfiles as ProviderProfile['name'][] | undefined) ?? ['paid', 'span-capped', 'public'],
      timestamps: (f.chainTimestamps as boolean[] | undefined) ?? [true, false],
      maxLimit: Number(f.chainMaxLimit ?? CHAIN_DEFAULTS.maxLimit) || undefined,
      volumeFills: Number(f.chainVolumeFills ?? CHAIN_DEFAULTS.volumeFills),
      volumeMaxEmptyBlocks: Number(f.chainVolumeMaxEmptyBlocks ?? CHAIN_DEFAULTS.volumeMaxEmptyBlocks),
      volumeBlockSeconds: Number(f.chainVolumeBlockSeconds ?? CHAIN_DEFAULTS.volumeBlockSeconds),
      seed: ctx.seed,
      execArgv: ctx.childExecArgv,
    };
    const loadBefore = load();
    const run = await runChainBench(o, ctx.log);
    const estimates = v2Estimates(run.runs, fetcherFunctions(o.fetchers), new Date(), run.volume);
    const { section, targets } = chainSection({
      world: { ...run.world, fills: run.world.fills, fillsPerTransaction: o.fillsPerTransaction, maxEmptyBlocks: o.maxEmptyBlocks },
      runs: run.runs,
      volume: run.volume,
      estimates,
      fetchers: o.fetchers,
      paidScale: o.paidScale,
      maxLimit: o.maxLimit,
      machine: ctx.machine,
      loadBefore,
      loadAfter: load(),
      command: ctx.command,
    });
    const summary = run.runs.map(
      (r) =>
        `chain ${r.profile.name}${r.logTimestamps ? '' : ' (no blockTimestamp)'}: ${(r.source.shareOfLimit * 100).toFixed(1)}% of the limit ` +
        `(target ${SHARE_TARGET * 100}%), ${r.speedUp.toFixed(1)}x the scanner`,
    );
    for (const v of run.volume?.runs ?? []) {
      summary.push(
        `chain ${v.profile.name} at volume${v.logTimestamps ? '' : ' (no blockTimestamp)'}: ${(v.source.shareOfLimit * 100).toFixed(1)}% of the limit`,
      );
    }
    const steady = run.volume?.steady?.run;
    if (steady)
      summary.push(
        `chain ${steady.profile.name} at volume, blocks at the least time (no blockTimestamp): ${(steady.source.shareOfLimit * 100).toFixed(1)}% of the limit`,
      );
    if (!run.ok) summary.push("chain: a client did not read exactly the world's fills, or the coverage has a gap");
    return { section, targets, ok: run.ok, summary };
  },
};
