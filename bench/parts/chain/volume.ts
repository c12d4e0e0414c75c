import { measureSource, type SourceProfileFigures } from './measure.ts';
import type { ProviderProfile } from './profiles.ts';
import { startBenchWorld, type BenchWorldOptions } from './world.ts';

/**
 * The paid profile at volume: the source alone on a longer world. A result
 * cap sets how many requests a backfill takes, and a shard's last requests
 * bring fewer results than the aim; on the main world the paid profile's 150
 * requests make 16 shards of about 10 each, where a V2 backfill's shards hold
 * REQUESTS_PER_SHARD. The scanner does not run here: at the paid profile's
 * pace it would take most of an hour, and the main world measures it.
 */
export interface VolumeOptions extends BenchWorldOptions {
  fetchers: number;
  timestamps: readonly boolean[];
  execArgv?: string[] | undefined;
  inProcess?: boolean | undefined;
}

export interface VolumeRun {
  world: { fills: number; logs: number; firstBlock: number; lastBlock: number; buildMs: number; fillsPerTransaction: number; maxEmptyBlocks: number };
  runs: SourceProfileFigures[];
  /** Every run read exactly the world's fills, and the coverage tiles the range. */
  ok: boolean;
}

/** Builds the volume world and runs the source through `profile` (already slowed as the main run slows it). */
export async function runVolume(o: VolumeOptions, profile: ProviderProfile, slowdown: number, log: (line: string) => void): Promise<VolumeRun> {
  log(`at volume: building ${o.fills.toLocaleString('en-US')} fills, up to ${o.maxEmptyBlocks} empty blocks between`);
  const w = await startBenchWorld(o);
  try {
    const runs: SourceProfileFigures[] = [];
    for (const ts of o.timestamps) {
      const f = await measureSource(w, profile, ts, { fetchers: o.fetchers, seed: o.seed, execArgv: o.execArgv, inProcess: o.inProcess });
      log(
        `at volume: ${profile.name} ${ts ? 'with' : 'without'} blockTimestamp: ${(f.source.shareOfLimit * 100).toFixed(1)}% of the limit, ${f.source.shards} shards`,
      );
      runs.push({ ...f, slowdown });
    }
    return {
      world: {
        fills: w.expected.size,
        logs: w.logs,
        firstBlock: w.firstBlock,
        lastBlock: w.lastBlock,
        buildMs: w.buildMs,
        fillsPerTransaction: o.fillsPerTransaction,
        maxEmptyBlocks: o.maxEmptyBlocks,
      },
      runs,
      ok: runs.every((r) => r.source.exact && r.source.coverageExact),
    };
  } finally {
    await w.world.close();
  }
}
