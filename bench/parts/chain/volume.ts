import { measureSource, type SourceProfileFigures } from './measure.ts';
import type { ProviderProfile } from './profiles.ts';
import { startBenchWorld, type BenchWorld, type BenchWorldOptions } from './world.ts';

/**
 * The paid profile at volume: the source alone on a longer world. A result
 * cap sets how many requests a backfill takes, and a shard's last requests
 * bring fewer results than the aim; on the main world the paid profile's 150
 * requests make 16 shards of about 10 each, where a V2 backfill's shards hold
 * REQUESTS_PER_SHARD. The scanner does not run here: at the paid profile's
 * pace it would take most of an hour, and the main world measures it.
 *
 * Without blockTimestamp, what the header reads cost depends on how the chain
 * dates its blocks. The first world dates them by its own clock, seconds to
 * minutes apart, so no stretch is at the least time its rule allows and every
 * timestamp is read. With `steadyBlockSeconds`, the same world is built again
 * with every block that many seconds after its parent, at the least time the
 * node's rule allows (as Bor dates a block when its producers keep up), and
 * the source runs there without blockTimestamp too.
 */
export interface VolumeOptions extends BenchWorldOptions {
  fetchers: number;
  timestamps: readonly boolean[];
  /** Seconds between the blocks of the steady world (0: no such run). */
  steadyBlockSeconds: number;
  execArgv?: string[] | undefined;
  inProcess?: boolean | undefined;
}

export interface VolumeWorld {
  fills: number;
  logs: number;
  firstBlock: number;
  lastBlock: number;
  buildMs: number;
  fillsPerTransaction: number;
  maxEmptyBlocks: number;
}

export interface VolumeRun {
  world: VolumeWorld;
  runs: SourceProfileFigures[];
  /** The run without blockTimestamp on the world whose blocks come at the least time, when it ran. */
  steady?: { world: VolumeWorld & { blockSeconds: number }; run: SourceProfileFigures } | undefined;
  /** Every run read exactly the world's fills, and the coverage tiles the range. */
  ok: boolean;
}

const exact = (r: SourceProfileFigures) => r.source.exact && r.source.coverageExact;

/** Builds the volume world (and the steady one, when asked) and runs the source through `profile` (already slowed as the main run slows it). */
export async function runVolume(o: VolumeOptions, profile: ProviderProfile, slowdown: number, log: (line: string) => void): Promise<VolumeRun> {
  const measure = async (w: BenchWorld, ts: boolean, where: string): Promise<SourceProfileFigures> => {
    const f = await measureSource(w, profile, ts, { fetchers: o.fetchers, seed: o.seed, execArgv: o.execArgv, inProcess: o.inProcess });
    log(
      `${where}: ${profile.name} ${ts ? 'with' : 'without'} blockTimestamp: ${(f.source.shareOfLimit * 100).toFixed(1)}% of the limit, ` +
        `${f.source.shards} shards, ${f.source.timestampsInferred.toLocaleString('en-US')} timestamps proven`,
    );
    return { ...f, slowdown };
  };
  const worldOf = (w: BenchWorld): VolumeWorld => ({
    fills: w.expected.size,
    logs: w.logs,
    firstBlock: w.firstBlock,
    lastBlock: w.lastBlock,
    buildMs: w.buildMs,
    fillsPerTransaction: o.fillsPerTransaction,
    maxEmptyBlocks: o.maxEmptyBlocks,
  });

  log(`at volume: building ${o.fills.toLocaleString('en-US')} fills, up to ${o.maxEmptyBlocks} empty blocks between`);
  const w = await startBenchWorld(o);
  const out: VolumeRun = { world: worldOf(w), runs: [], ok: true };
  try {
    for (const ts of o.timestamps) out.runs.push(await measure(w, ts, 'at volume'));
  } finally {
    await w.world.close();
  }
  if (o.steadyBlockSeconds > 0 && o.timestamps.includes(false)) {
    log(`at volume, steady: the same world with every block ${o.steadyBlockSeconds} s after its parent`);
    const steady = await startBenchWorld({ ...o, blockSeconds: o.steadyBlockSeconds });
    try {
      out.steady = { world: { ...worldOf(steady), blockSeconds: o.steadyBlockSeconds }, run: await measure(steady, false, 'at volume, steady') };
    } finally {
      await steady.world.close();
    }
  }
  out.ok = out.runs.every(exact) && (!out.steady || exact(out.steady.run));
  return out;
}
