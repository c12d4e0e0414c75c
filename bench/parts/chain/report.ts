import type { MachineInfo } from '#bench/lib/machine.ts';
import type { TargetCheck } from '#bench/lib/markdown.ts';
import { targetLine } from '#bench/parts/part.ts';
import { QUEUE_SETTINGS } from '#shared/pipeline/queue-settings.ts';
import { REQUESTS_PER_SHARD } from '#shared/sources/chain/options.ts';
import { factorNeeds, type ShareFactor } from './breakdown.ts';
import { scannerSpan, type ClientFigures, type ProfileFigures, type SourceFigures, type SourceProfileFigures } from './measure.ts';
import { fetcherFunctions } from './run-source.ts';
import type { VolumeRun } from './volume.ts';
import { FILLS_PER_DAY, LOADER_ROWS_PER_SECOND, POLYMARKET_FILLS, V1_DAYS, type V2Estimate } from './v2-estimate.ts';
import type { BenchWorld } from './world.ts';

export const SHARE_TARGET = 0.85;
export const SPEED_UP_TARGET = 5;

const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const pct = (x: number) => `${n(x * 100, 1)}%`;

export interface ChainReportInput {
  world: Pick<BenchWorld, 'logs' | 'firstBlock' | 'lastBlock' | 'buildMs'> & { fills: number; fillsPerTransaction: number; maxEmptyBlocks: number };
  runs: ProfileFigures[];
  /** The paid profile at volume, when it ran. */
  volume?: VolumeRun | undefined;
  estimates: V2Estimate[];
  fetchers: number;
  paidScale: number;
  /** Profiles above this limit ran slowed down (ChainBenchOptions.maxLimit); undefined: none was. */
  maxLimit?: number | undefined;
  machine: MachineInfo;
  loadBefore: string;
  loadAfter: string;
  command: string;
}

/**
 * The share targets, and the paid profile's speed-up. Where the paid profile
 * also ran at volume, its share is judged there (what a V2 backfill's shards
 * are), and the main world's figure is given beside it.
 */
export function chainTargets(runs: readonly ProfileFigures[], volume?: VolumeRun): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const r of runs) {
    const label = `${r.profile.name}, ${r.logTimestamps ? 'with' : 'without'} blockTimestamp`;
    const atVolume = volume?.runs.find((v) => v.profile.name === r.profile.name && v.logTimestamps === r.logTimestamps);
    const judged: SourceProfileFigures = atVolume ?? r;
    const s = judged.source;
    const met = s.shareOfLimit >= SHARE_TARGET;
    const why = met ? '' : `; short by ${n((SHARE_TARGET - s.shareOfLimit) * 100, 1)} points. ${whyShort(judged)}`;
    const where = atVolume ? ` at volume (${n(volume!.world.fills)} fills, ${shardsOf(s)})` : '';
    const mainWorld = atVolume ? `; on the ${n(r.source.fills)}-fill world above ${pct(r.source.shareOfLimit)}, ${shardsOf(r.source)}` : '';
    out.push({
      target: `chain source ≥ ${SHARE_TARGET * 100}% of the ${label} limit (${r.limitFormula})${where}`,
      measured: `${n(s.resultsPerSecond)} fills/s while fetching = ${pct(s.shareOfLimit)} of ${n(judged.limit)} (${pct(s.wholeShareOfLimit)} with the plan)${mainWorld}${why}`,
      met,
    });
    const steady = volume?.steady;
    if (steady && !r.logTimestamps && r.profile.name === steady.run.profile.name) {
      const t = steady.run.source;
      const ok = t.shareOfLimit >= SHARE_TARGET;
      out.push({
        target: `chain source ≥ ${SHARE_TARGET * 100}% of the ${label} limit (${r.limitFormula}) at volume, every block ${steady.world.blockSeconds} s after its parent (the least time the node's rule allows)`,
        measured:
          `${n(t.resultsPerSecond)} fills/s while fetching = ${pct(t.shareOfLimit)} of ${n(steady.run.limit)} (${pct(t.wholeShareOfLimit)} with the plan); ` +
          `${n(t.timestampsInferred)} timestamps proven, ${n(t.proxy.headerRequests)} header requests` +
          (ok ? '' : `; short by ${n((SHARE_TARGET - t.shareOfLimit) * 100, 1)} points. ${whyShort(steady.run)}`),
        met: ok,
      });
    }
    if (r.profile.name === 'paid') {
      out.push({
        target: `chain source ≥ ${SPEED_UP_TARGET}x the sequential scanner, ${label}`,
        measured: `${n(r.speedUp, 1)}x (${n(r.source.seconds, 1)} s vs ${n(r.scanner.seconds, 1)} s)`,
        met: r.speedUp >= SPEED_UP_TARGET,
      });
    }
  }
  return out;
}

/** The planned shards and the answered eth_getLogs each held on average. */
const shardsOf = (s: SourceFigures) => `${s.shards - s.divisions} shards of about ${n(s.fetch.answered / (s.shards - s.divisions))} answered eth_getLogs`;

/** Why a profile's share fell short, from the fetch's three factors, and what the shortest one would need. */
function whyShort(r: SourceProfileFigures): string {
  const b = r.source.fetch;
  const perCall = r.limit / r.profile.callsPerSecond;
  const cap =
    r.profile.maxResults !== undefined && Math.abs(perCall - r.profile.maxResults) < 1e-6 * perCall ? 'the result cap' : 'the span cap at the data’s density';
  const why =
    `Why: while fetching (${n(b.seconds, 1)} s) the source sent ${n(b.requests)} requests, ${pct(b.allowanceUsed)} of what ` +
    `${n(r.profile.callsPerSecond, 1)} calls/s allow; ${n(b.answered)} of them (${pct(b.answeredShare)}) were eth_getLogs answered ` +
    `(the rest: ${n(b.otherRequests)} header batches and head checks, ${n(b.refused)} refused, ${n(b.throttled)} answered 429); ` +
    `each brought ${n(b.logsPerAnswer)} results, ${pct(b.fullness)} of the ${n(perCall)} ${cap} allows a call (share = the product of the three)`;
  // What each factor needs on its own (undefined: it cannot alone), and what holds it back.
  const close = (factor: ShareFactor, needed: number | undefined): string => {
    if (factor === 'fullness') {
      return (
        (needed === undefined ? 'fuller calls' : `calls ${pct(needed)} full (${n(needed * perCall)} results each)`) +
        (cap === 'the result cap'
          ? ': requests aim under the result cap because one that goes over is refused and costs a call, and each shard ends on requests sized to its rest; ' +
            'a provider that answered an over-cap request with the logs up to its cap would let every request aim at the cap'
          : ': requests shorter than the span cap are each shard’s last, and the limit counts the mean density; fewer, longer shards')
      );
    }
    if (factor === 'answered') {
      return (
        (needed === undefined ? 'fewer requests without logs' : `${pct(needed)} of the requests answered eth_getLogs`) +
        (b.otherRequests >= b.refused + b.throttled
          ? ': most of the others are header batches; logs that carry blockTimestamp (no header is read), blocks at the least time the chain’s rule allows (their timestamps are proven, CHAIN_INFER_TIMESTAMPS), or larger header batches where the provider allows them (CHAIN_BLOCK_BATCH_SIZE)'
          : ': most of the others were refusals and 429s; the provider’s caps and rate stated in the settings (CHAIN_MAX_BLOCK_SPAN, CHAIN_MAX_LOGS_PER_REQUEST, CHAIN_REQUESTS_PER_SECOND) let the source size and pace its requests without meeting them')
      );
    }
    return (
      (needed === undefined ? 'more of the allowance used' : `${pct(needed)} of the allowance used`) +
      ': requests wait on the provider’s latency once few shards are left at the run’s end; more shards in flight (FETCHER_CONCURRENCY)'
    );
  };
  const needs = factorNeeds(b, SHARE_TARGET);
  const options = needs.filter((x) => x.needed <= 1).map((x) => close(x.factor, x.needed));
  // Header batches alone may be too few to close it; then say what the calls would need once they had gone.
  if (b.otherRequests > 0 && !needs.some((x) => x.factor === 'answered' && x.needed <= 1)) {
    const shareWithout = (b.share * b.requests) / (b.requests - b.otherRequests);
    const needed = (SHARE_TARGET * b.fullness) / shareWithout;
    if (needed <= 1) {
      options.push(
        `without its ${n(b.otherRequests)} header batches and head checks (logs that carry blockTimestamp read no header; larger header batches, ` +
          `CHAIN_BLOCK_BATCH_SIZE, where the provider allows them, read fewer), calls ${pct(needed)} full (${n(needed * perCall)} results each)`,
      );
    }
  }
  return options.length > 0
    ? `${why}. What would close it, the rest as it is: ${options.join('. Or ')}`
    : `${why}. What would close it: no one factor alone (each would need more than 100%), but more than one of: ${needs.map((x) => close(x.factor, undefined)).join('. ')}`;
}

const cells = (c: ClientFigures) =>
  [
    n(c.seconds, 1),
    n(c.callsPerSecond, 1),
    n(c.resultsPerCall),
    `${pct(c.shareOfLimit)} (${pct(c.wholeShareOfLimit)})`,
    c.proxy.headerCalls === 0 ? '0' : `${n(c.proxy.headerCalls)} (${n(c.proxy.headerRequests)} req.)`,
    `${n(c.proxy.throttledByRate)} + ${n(c.proxy.throttledAtRandom)}`,
    n(c.proxy.refusedResults + c.proxy.refusedSpan),
    n(c.cpuSeconds, 1),
  ].join(' | ');

export function chainSection(r: ChainReportInput): { section: string; targets: TargetCheck[] } {
  const w = r.world;
  const blocks = w.lastBlock - w.firstBlock + 1;
  const targets = chainTargets(r.runs, r.volume);
  const lines: string[] = [];
  lines.push('### Chain backfill against provider limits (issue 12, points 1, 2 and 5)');
  lines.push('');
  lines.push(`Run: \`${r.command}\` on ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.os}.`);
  lines.push(
    `The machine is shared with other engineers' runs: load average ${r.loadBefore} before, ${r.loadAfter} after (1, 5, 15 min). ` +
      'The clients (source, scanner) each run in a child process of their own; the EVM node and the provider proxy share the parent.',
  );
  lines.push('');
  lines.push(
    `World: ${n(w.fills)} fills of both eras (OrderFilled of the four exchanges, the filter both clients send) over ${n(blocks)} blocks ` +
      `(${n(w.logs / blocks, 3)} fills/block: ${n(w.fillsPerTransaction)} fills per transaction-bearing block, up to ${n(w.maxEmptyBlocks)} empty blocks between them), ` +
      `built on EDR in ${n(w.buildMs / 1000, 1)} s. The proxy serves eth_getLogs, and the headers of the blocks with logs, from the node's answers read once (as a provider answers from its index, not at the in-process node's milliseconds a header), and refuses, throttles and delays as the profile says.`,
  );
  lines.push(
    `Profiles: paid = ${r.paidScale === 1 ? '10,000' : `10,000 ÷ ${r.paidScale} = ${n(10_000 / r.paidScale)}`} results per call, 25 calls/s; span-capped = 2,000 blocks per call, 25 calls/s; ` +
      'public = 1,000 blocks, 10 calls/s, 5% of requests answered 429 at random; every HTTP request (a header batch too) draws on the calls/s, over it: 429. ' +
      `Latency 200 ms (public 250 ms) on every answer. The source runs as an operator would set it (CHAIN_REQUESTS_PER_SECOND = the profile's rate, its caps), ${r.fetchers} shards paged at once: ` +
      `${fetcherFunctions(r.fetchers)} fetchers of ${QUEUE_SETTINGS.fetcherBatchSize} shards each, as deployed (the planner is told ${fetcherFunctions(r.fetchers)}, as FETCHER_CONCURRENCY); each worker here takes the next shard when its own is done, where a deployed invocation ends when both of its shards are.`,
  );
  if (r.maxLimit !== undefined) {
    const ks = r.runs.filter((x) => x.logTimestamps).map((x) => `${x.profile.name} k = ${n(x.slowdown ?? 1, 2)}`);
    lines.push(
      `Each profile whose limit at this density is above ${n(r.maxLimit)} fills/s runs slowed down by k = limit ÷ ${n(r.maxLimit)} (calls/s ÷ k, latency × k: ` +
        `the calls in flight it takes, rate × latency, stay the same), so that the clients stay off this shared CPU's wall: ${ks.join(', ')}.`,
    );
  }
  if (r.paidScale !== 1) {
    lines.push(
      `The paid cap is divided by ${r.paidScale}: at 10,000 results a call the limit is 250,000 results/s, which this world (built at about a thousand fills/s) ` +
        'would feed for under a second, and which no 2-core client decodes. The speed-up keeps its meaning at the smaller cap; the share need not: ' +
        "a request's count strays from its aim by about the square root of the count, a larger part of a smaller cap, so requests aim further under it, " +
        "but the same fills then take more requests, so a shard's short last request weighs less (the reading below gives runs at a larger cap).",
    );
  }
  lines.push('');
  lines.push(
    "Limit = calls/s × results per call (the result cap) when the cap binds, else calls/s × span × the world's fills per block. " +
      "Share = fills/s while fetching ÷ limit (the source's plan, one round of density probes that a backfill of hours amortises, left out; in brackets: over the whole run, plan included). " +
      'Header calls: eth_getBlockByNumber reads for the timestamps when the logs carry no blockTimestamp (JSON-RPC batches; each batch is one request against the calls/s).',
  );
  lines.push('');
  lines.push(
    '| profile | blockTimestamp | limit (results/s) | client | s | calls/s | results/call | share of limit: fetching (whole run) | header calls | 429 (rate + random) | refused | CPU s | speed-up |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const run of r.runs) {
    const head = `| ${run.profile.name} | ${run.logTimestamps ? 'yes' : 'no'} | ${n(run.limit)} (${run.limitFormula})`;
    lines.push(
      `${head} | source (${run.source.shards - run.source.divisions} shards${run.source.divisions ? ` + ${run.source.divisions} split off` : ''}, ${run.source.pages} pages) | ${cells(run.source)} | **${n(run.speedUp, 1)}x** |`,
    );
    lines.push(`| | | | sequential scanner (span ${n(run.scannerSpan)}) | ${cells(run.scanner)} | |`);
  }
  lines.push('');
  lines.push(
    `Every run read exactly the world's fills (none lost, none twice), and the source's chain_coverage rows tile the whole range: ` +
      `${r.runs.every((x) => x.source.exact && x.scanner.exact && x.source.coverageExact) ? 'yes' : '**NO**'}.`,
  );
  const paidMain = r.runs.find((x) => x.profile.name === 'paid' && x.logTimestamps);
  if (r.volume && paidMain) lines.push('', ...volumeLines(r.volume, paidMain));
  lines.push('');
  lines.push('**Targets**');
  lines.push('');
  for (const t of targets) lines.push(targetLine(t));
  lines.push('');
  lines.push("**A V2 backfill at Polymarket's volume** (issue 12, point 2)");
  lines.push('');
  lines.push(
    `Polymarket's fills per day: ${n(POLYMARKET_FILLS.v1OrderFilled)} OrderFilled over the V1 era (${POLYMARKET_FILLS.from} to ${POLYMARKET_FILLS.to}, ${n(V1_DAYS)} days) = ` +
      `about ${n(FILLS_PER_DAY)} a day (${POLYMARKET_FILLS.source}); V2 runs at least at that average since trading grew over V1. ` +
      "Time = fills ÷ (the profile's limit at Polygon's density, 43,200 blocks a day, × the share measured above with blockTimestamp), plus the header batches without it. " +
      `Cost = the fetchers waiting that long at 1 GB, the loader at ${n(LOADER_ROWS_PER_SECOND)} rows/s (its server path as the loader-fast part measured it), and one S3 object, three SQS requests and two invocations per call (us-east-1 list prices, bench/lib/cost.ts).`,
  );
  lines.push('');
  lines.push('| profile | V2 days | fills | fills/s | backfill | + headers without blockTimestamp | AWS cost | basis |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const e of r.estimates) {
    lines.push(
      `| ${e.profile} | ${n(e.days)} | ${n(e.fills / 1e6, 0)} M | ${n(e.fillsPerSecond)} | ${n(e.seconds / 3600, 2)} h | ${n(e.headerRequests)} requests, ${n(e.headerSeconds / 3600, 2)} h | $${n(e.dollars, 2)} | ${e.basis} |`,
    );
  }
  return { section: lines.join('\n'), targets };
}

/** The at-volume run's paragraph and table; `main` is the paid profile's run on the main world. */
function volumeLines(v: VolumeRun, main: ProfileFigures): string[] {
  const w = v.world;
  const blocks = w.lastBlock - w.firstBlock + 1;
  const scannerMinutes = (Math.ceil(blocks / scannerSpan(main.profile, w)) * main.profile.latencyMs) / 60_000;
  const lines = [
    '**The paid profile at volume.** A result cap sets how many requests a backfill takes, and each shard ends on requests sized to its rest, ' +
      `which bring fewer results than the aim. On the ${n(main.source.fills)}-fill world above the paid profile's ${n(main.source.fetch.answered)} answered ` +
      `eth_getLogs were ${shardsOf(main.source)}, cut for the fetchers; a V2 backfill's shards hold ${REQUESTS_PER_SHARD} requests each ` +
      '(REQUESTS_PER_SHARD, at the closest aim under the cap). ' +
      `So the same source runs again through the same profile, slowed down the same way, on a longer world: ${n(w.fills)} fills over ${n(blocks)} blocks ` +
      `(${n(w.logs / blocks, 3)} fills/block, up to ${n(w.maxEmptyBlocks)} empty blocks between them), built in ${n(w.buildMs / 1000, 1)} s. ` +
      `The scanner does not run there (its fixed spans would take about ${n(scannerMinutes)} minutes with blockTimestamp, twice that without); ` +
      'the paid share targets below are judged on this run.',
    '',
    '| profile | blockTimestamp, block times | limit (results/s) | shards (planned + split off), pages | s (plan) | share of limit: fetching (whole run) | allowance used | answered eth_getLogs | results an answer | header calls | timestamps proven | refused | CPU s | every fill once, coverage tiles |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const row = (r: SourceProfileFigures, times: string) => {
    const s = r.source;
    const b = s.fetch;
    return (
      `| ${r.profile.name} | ${r.logTimestamps ? 'yes' : 'no'}, ${times} | ${n(r.limit)} (${r.limitFormula}) | ${s.shards - s.divisions} + ${s.divisions}, ${n(s.pages)} | ` +
      `${n(s.seconds, 1)} (${n(s.planSeconds, 1)}) | ${pct(s.shareOfLimit)} (${pct(s.wholeShareOfLimit)}) | ${pct(b.allowanceUsed)} | ${pct(b.answeredShare)} | ` +
      `${n(b.logsPerAnswer)} (${pct(b.fullness)}) | ${s.proxy.headerCalls === 0 ? '0' : `${n(s.proxy.headerCalls)} (${n(s.proxy.headerRequests)} req.)`} | ` +
      `${n(s.timestampsInferred)} | ${n(s.proxy.refusedResults + s.proxy.refusedSpan)} | ${n(s.cpuSeconds, 1)} | ${s.exact && s.coverageExact ? 'yes' : '**NO**'} |`
    );
  };
  for (const r of v.runs) lines.push(row(r, "the world's clock"));
  if (v.steady) lines.push(row(v.steady.run, `every block ${v.steady.world.blockSeconds} s after its parent`));
  if (v.steady) {
    const t = v.steady.world;
    lines.push(
      '',
      'Without blockTimestamp the header reads depend on how the chain dates its blocks. The world above dates them by its own clock, seconds to minutes apart, ' +
        'so few stretches sit at the least time its rule allows, and nearly every block with fills has its header read (the proven column). The last row is the same world built again ' +
        `(${n(t.fills)} fills over ${n(t.lastBlock - t.firstBlock + 1)} blocks, built in ${n(t.buildMs / 1000, 1)} s) with every block ${t.blockSeconds} s after its parent, ` +
        "the least time the node's rule allows, as Bor dates a block when its producers keep up: there a shard's first staged object reads its headers and headers ahead, " +
        'and the rest are proven.',
    );
  }
  return lines;
}
