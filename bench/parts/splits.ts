import type { Command } from 'commander';
import { boundedInt, CLI_NUMBERS } from '#local/cli/numbers.ts';
import { load, type MachineInfo } from '#bench/lib/machine.ts';
import { CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, orderFilledCatalogue, V2_GENESIS_BLOCK } from '#shared/sources/chain/index.ts';
import { MIN_REQUESTS_TO_DIVIDE } from '#shared/sources/chain/divide.ts';
import { buildScenario } from '#test/support/evm/scenario.ts';
import { coverageTiles } from './chain/measure.ts';
import { loadLogIndex } from './chain/log-index.ts';
import type { ProviderProfile } from './chain/profiles.ts';
import { startProviderProxy } from './chain/proxy.ts';
import { QUEUE_SETTINGS } from '#shared/pipeline/queue-settings.ts';
import { backfillWithSource, fetcherFunctions } from './chain/run-source.ts';
import type { BenchPart, PartReport } from './part.ts';

/*
 * Shard splits at a run's end (shared/pipeline/shard-split.ts), where they
 * matter: a burst of trading the plan's density probes do not see. The plan
 * probes the last blocks of each of its regions; a spike at the start of one
 * makes the shard that holds it many times longer than the rest, and without
 * splits the run waits on it alone.
 */

export interface SplitsBenchOptions {
  fetchers: number;
  /** Blocks at the world's usual density, around the spike. */
  sparseBlocks: number;
  sparseFillsPerBlock: number;
  spikeBlocks: number;
  spikeFillsPerBlock: number;
  /** The provider: result cap, calls/s and latency (a paid plan; see SPLITS_DEFAULTS). */
  maxResults: number;
  callsPerSecond: number;
  latencyMs: number;
  seed: number;
}

/**
 * The chain part's paid profile as it runs there: 10,000 ÷ 50 results a call,
 * 25 calls/s and 200 ms slowed down 3.33x (calls/s ÷ k, latency × k).
 */
export const SPLITS_DEFAULTS = {
  fetchers: 8,
  sparseBlocks: 80_000,
  sparseFillsPerBlock: 0.1,
  spikeBlocks: 2_000,
  spikeFillsPerBlock: 2,
  maxResults: 200,
  callsPerSecond: 7.5,
  latencyMs: 667,
} as const;

export interface SplitsRunFigures {
  splits: boolean;
  shardsPlanned: number;
  splitOff: number;
  pages: number;
  planSeconds: number;
  fetchSeconds: number;
  wholeSeconds: number;
  fillsPerSecondFetching: number;
  shareOfLimit: number;
  /** Every fill of the world read exactly once, and the coverage tiles the range. */
  exact: boolean;
  /** The planned shard that holds the spike's first block: the plan's estimate and the fills it held (with splits off, as planned). */
  spikeShard: { estimatedRows: number; fills: number } | null;
  /** The largest gap between estimate and fills among the other shards, as a share of the estimate. */
  othersOff: number;
}

export interface SplitsBenchRun {
  fills: number;
  firstBlock: number;
  lastBlock: number;
  spike: [number, number];
  buildSeconds: number;
  limit: number;
  runs: SplitsRunFigures[];
}

/** Builds the world (a spike where the probes do not look), then backfills it with the chain source, splits off and on. */
export async function runSplitsBench(o: SplitsBenchOptions, log: (line: string) => void): Promise<SplitsBenchRun> {
  const started = performance.now();
  // The plan probes the last blocks of each of 8 equal regions: the spike starts the fifth.
  const total = o.sparseBlocks + o.spikeBlocks;
  const before = Math.floor(total / 2);
  log(`splits: building the simulated chain: ${total.toLocaleString('en-US')} blocks, a spike of ${o.spikeBlocks.toLocaleString('en-US')} at their middle`);
  const sc = await buildScenario({
    seed: o.seed,
    genesis: V2_GENESIS_BLOCK,
    maxBurst: 1,
    logTimestamps: true,
    regions: [
      { blocks: before, fillsPerBlock: o.sparseFillsPerBlock },
      { blocks: o.spikeBlocks, fillsPerBlock: o.spikeFillsPerBlock },
      { blocks: total - before - o.spikeBlocks, fillsPerBlock: o.sparseFillsPerBlock },
    ],
  });
  try {
    const firstBlock = Number(V2_GENESIS_BLOCK);
    const lastBlock = Number(sc.head);
    const index = await loadLogIndex(sc.node.url, firstBlock, lastBlock);
    const buildSeconds = (performance.now() - started) / 1000;
    const profile: ProviderProfile = {
      name: 'paid',
      callsPerSecond: o.callsPerSecond,
      maxResults: o.maxResults,
      latencyMs: o.latencyMs,
      randomThrottleShare: 0,
      scannerSpan: 2_000,
    };
    const limit = o.callsPerSecond * o.maxResults;
    const expected = new Set(sc.expected.map((f) => f.fill_id));
    // The genesis block holds a fill of its own; the regions follow it.
    const spikeFrom = firstBlock + 1 + before;
    const runs: SplitsRunFigures[] = [];
    for (const splits of [false, true]) {
      const proxy = await startProviderProxy({ nodeUrl: sc.node.url, index, profile, logTimestamps: true, random: () => 1 });
      try {
        const catalogue = orderFilledCatalogue([CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2]);
        const run = await backfillWithSource({ url: proxy.url, catalogue, genesis: firstBlock, profile, fetchers: o.fetchers, splits });
        const read = new Set(run.fillIds);
        const exact = run.fillIds.length === expected.size && read.size === expected.size && [...expected].every((id) => read.has(id));
        const fetchSeconds = (run.ms - run.planMs) / 1000;
        const holds = (x: { fromBlock: number; toBlock: number }) => x.fromBlock <= spikeFrom && spikeFrom <= x.toBlock;
        const spikeShard = run.shardFills.find(holds) ?? null;
        const othersOff = Math.max(
          0,
          ...run.shardFills.filter((x) => !holds(x) && x.estimatedRows > 0).map((x) => Math.abs(x.fills - x.estimatedRows) / x.estimatedRows),
        );
        const figures: SplitsRunFigures = {
          splits,
          shardsPlanned: run.shards - run.divisions,
          splitOff: run.divisions,
          pages: run.pages,
          planSeconds: run.planMs / 1000,
          fetchSeconds,
          wholeSeconds: run.ms / 1000,
          fillsPerSecondFetching: read.size / fetchSeconds,
          shareOfLimit: read.size / fetchSeconds / limit,
          exact: exact && coverageTiles(run.coverage, firstBlock, lastBlock),
          spikeShard: spikeShard && { estimatedRows: spikeShard.estimatedRows, fills: spikeShard.fills },
          othersOff,
        };
        log(`splits: ${splits ? 'on' : 'off'}: ${figures.fetchSeconds.toFixed(1)} s fetching, ${run.divisions} split off, exact: ${figures.exact}`);
        runs.push(figures);
      } finally {
        await proxy.close();
      }
    }
    return { fills: expected.size, firstBlock, lastBlock, spike: [spikeFrom, spikeFrom + o.spikeBlocks - 1], buildSeconds, limit, runs };
  } finally {
    await sc.node.close();
  }
}

const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export function splitsSection(
  r: SplitsBenchRun,
  o: SplitsBenchOptions,
  ctx: { machine: MachineInfo; command: string; loadBefore: string; loadAfter: string },
): string {
  const m = ctx.machine;
  const [off, on] = [r.runs.find((x) => !x.splits), r.runs.find((x) => x.splits)];
  const lines = [
    "### Shard splits at a run's end: a burst the plan does not see",
    '',
    `Run: \`${ctx.command}\` on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; load average ${ctx.loadBefore} before, ${ctx.loadAfter} after.`,
    '',
    `World: ${n(r.fills)} fills over blocks ${n(r.firstBlock)}..${n(r.lastBlock)}, ${o.sparseFillsPerBlock} a block except a spike of ${o.spikeFillsPerBlock} a block over blocks ${n(r.spike[0])}..${n(r.spike[1])}, ` +
      `at the start of one of the plan's eight density regions, whose probe reads that region's last blocks and misses it; built on EDR in ${n(r.buildSeconds, 1)} s. ` +
      `Provider: ${n(o.maxResults)} results a call, ${o.callsPerSecond} calls/s, ${n(o.latencyMs)} ms a call (the chain part's paid profile as it runs there); limit ${n(r.limit)} results/s. ` +
      `The chain source backfills it with ${o.fetchers} shards paged at once (${fetcherFunctions(o.fetchers)} fetchers of ${QUEUE_SETTINGS.fetcherBatchSize}), in this process, as in the chain part (bench/parts/chain/run-source.ts), with shard splits off and on: ` +
      `when a fetcher finds no shard left, the running shard with the most rows left gives half of what it has left (from ${MIN_REQUESTS_TO_DIVIDE} requests left) to a new shard.`,
    '',
    '| splits | shards (planned + split off) | pages | plan s | fetching s | whole run s | fills/s while fetching | share of limit while fetching | every fill once, coverage tiles |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const x of r.runs) {
    lines.push(
      `| ${x.splits ? 'on' : 'off'} | ${x.shardsPlanned} + ${x.splitOff} | ${x.pages} | ${n(x.planSeconds, 1)} | ${n(x.fetchSeconds, 1)} | ${n(x.wholeSeconds, 1)} | ${n(x.fillsPerSecondFetching)} | ${n(x.shareOfLimit * 100, 1)}% | ${x.exact ? 'yes' : '**no**'} |`,
    );
  }
  if (off?.spikeShard) {
    lines.push('');
    lines.push(
      `The plan estimated ${n(off.spikeShard.estimatedRows)} rows for the shard that holds the spike; it held ${n(off.spikeShard.fills)} ` +
        `(the other shards within ${n(off.othersOff * 100, 0)}% of their estimates).`,
    );
  }
  if (off && on) {
    lines.push('');
    lines.push(
      `With splits the fetch phase takes ${n(on.fetchSeconds, 1)} s instead of ${n(off.fetchSeconds, 1)} s (${n(off.fetchSeconds / on.fetchSeconds, 2)}x).`,
    );
  }
  return lines.join('\n');
}

export const splitsPart: BenchPart = {
  name: 'splits',
  addOptions(command: Command) {
    return command
      .option(
        '--splits-fetchers <n>',
        "splits part: shards paged at once (fetchers × the shard queue's batch size)",
        CLI_NUMBERS.benchWorkers,
        SPLITS_DEFAULTS.fetchers,
      )
      .option('--splits-latency-ms <n>', 'splits part: latency of every provider answer', boundedInt(0, 60_000), SPLITS_DEFAULTS.latencyMs);
  },
  async run(ctx): Promise<PartReport> {
    const o: SplitsBenchOptions = {
      ...SPLITS_DEFAULTS,
      fetchers: Number(ctx.flags.splitsFetchers ?? SPLITS_DEFAULTS.fetchers),
      latencyMs: Number(ctx.flags.splitsLatencyMs ?? SPLITS_DEFAULTS.latencyMs),
      seed: ctx.seed,
    };
    const loadBefore = load();
    const run = await runSplitsBench(o, ctx.log);
    const section = splitsSection(run, o, { machine: ctx.machine, command: ctx.command, loadBefore, loadAfter: load() });
    const ok = run.runs.every((x) => x.exact);
    const summary = run.runs.map((x) => `splits ${x.splits ? 'on' : 'off'}: ${x.fetchSeconds.toFixed(1)} s fetching, ${x.splitOff} split off`);
    if (!ok) summary.push("splits: a run did not read exactly the world's fills, or the coverage has a gap");
    return { section, targets: [], ok, summary };
  },
};
