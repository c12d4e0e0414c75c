import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { fillTokenId, generateDataset, startSimulatedSources, type Dataset } from '#simulator/index.ts';
import { boundedInt, CLI_NUMBERS } from '#local/cli/numbers.ts';
import { load } from '#bench/lib/machine.ts';
import { resetSources } from '#bench/lib/source-tally.ts';
import type { TargetCheck } from '#bench/lib/markdown.ts';
import { minShardsFor } from '#shared/sources/source.ts';
import { QUEUE_SETTINGS } from '#shared/pipeline/queue-settings.ts';
import { targetLine, type BenchPart, type PartContext, type PartReport } from './part.ts';
import type { ShardingRequest, ShardingResult } from './sharding-child.ts';

/** Polymarket's ratio: 171,305 markets for 37 M fills on the subgraph (as bench/harness.ts). */
const FILLS_PER_MARKET = 37_000_000 / 171_305;
/** The share of the source's limit the fetch phase should reach once shards are sized by parallelism. */
export const SHARDING_TARGET_SHARE = 0.8;

export interface ShardingOptions {
  fills: number;
  seed: number;
  /** Source limit the run meets, requests per second (burst = rate): the stated limit ÷ `slowdown`. */
  rate: number;
  /** Latency added to every response: the stated latency × `slowdown`. */
  latencyMs: number;
  /**
   * The stated limit and latency run slowed down by this factor (rate ÷ k,
   * latency × k): the requests that must be in flight to use the limit
   * (rate × latency) stay the same, so the sharding question is unchanged,
   * while the fills per second the local stack must stage and load on this
   * machine's 2 cores fall by k. 1: as stated.
   */
  slowdown?: number;
  /** Fetcher concurrencies to run, each in every variant. */
  fetchers: number[];
  /** Default SHARDING_VARIANTS; the smoke test runs the first and the last. */
  variants?: readonly ShardingVariant[];
  /** Rows a page (SUBGRAPH_PAGE_SIZE); the smoke test makes it small so a small history still has many pages. */
  pageSize: number;
  topShare: number;
}

/** One way of running the fetchers: how the planner sizes shards, and how many shards a fetcher takes at once. */
export interface ShardingVariant {
  sizeByParallelism: boolean;
  shardsPerFetcher: number;
}

/**
 * Each fetcher count runs as before issue 12 (shards by rows, one shard a
 * fetcher), with shards sized by parallelism, and as shipped: sized by
 * parallelism, each fetcher taking QUEUE_SETTINGS.fetcherBatchSize shards.
 */
export const SHARDING_VARIANTS: readonly ShardingVariant[] = [
  { sizeByParallelism: false, shardsPerFetcher: 1 },
  { sizeByParallelism: true, shardsPerFetcher: 1 },
  { sizeByParallelism: true, shardsPerFetcher: QUEUE_SETTINGS.fetcherBatchSize },
];
const isBefore = (v: ShardingVariant) => !v.sizeByParallelism && v.shardsPerFetcher === 1;
const isShipped = (v: ShardingVariant) => v.sizeByParallelism && v.shardsPerFetcher === QUEUE_SETTINGS.fetcherBatchSize;

export interface ShardingRun extends ShardingVariant {
  fetchers: number;
  result: ShardingResult;
  loadBefore: string;
  loadAfter: string;
}

export interface ShardingFigures {
  options: ShardingOptions;
  dataset: { fills: number; markets: number; heaviestTokenFills: number };
  runs: ShardingRun[];
}

/** What one run reached: shares of the source's limit in the fetch phase and over the whole cycle. */
export function shares(run: ShardingRun, o: Pick<ShardingOptions, 'rate' | 'pageSize' | 'latencyMs'>) {
  const r = run.result;
  const fetchS = Math.max(r.fetchMs, 1) / 1000;
  return {
    requestsPerSecond: r.fetchRequests / fetchS,
    requestShare: r.fetchRequests / (fetchS * o.rate),
    fillsPerSecond: r.fillsStaged / fetchS,
    fillShare: r.fillsStaged / (fetchS * o.rate * o.pageSize),
    endToEndShare: r.fillsInWarehouse / ((Math.max(r.wallMs, 1) / 1000) * o.rate * o.pageSize),
    /** The most the shards in flight, each paged one request at a time, can ask of the source: fetchers × shards each / latency, as a share of the limit. */
    ceiling: Math.min(1, (run.fetchers * run.shardsPerFetcher) / ((o.rate * Math.max(o.latencyMs, 1)) / 1000)),
    /** What the plan allows apart from CPU (modelledShare). */
    modelled: modelledShare(r.shardRows, run.fetchers, o, run.shardsPerFetcher),
  };
}

/**
 * The fetch phase a plan allows, apart from any CPU: `fetchers` invocations
 * each take up to `shardsPerFetcher` shards in the planner's order and page
 * each one request after another (⌊rows / page⌋ + 1 requests: the last one
 * short); an invocation takes its next batch once all of its shards are done.
 * Every request waits for the pacer's next turn (one every 1 / rate s, as the
 * pipeline paces) and then takes `latencyMs`. Returns the share of the fill
 * limit the plan reaches over that schedule, so the plan's shape is measured
 * apart from this machine's load.
 */
export function modelledShare(
  shardRows: number[],
  fetchers: number,
  o: Pick<ShardingOptions, 'rate' | 'pageSize' | 'latencyMs'>,
  shardsPerFetcher = 1,
): number {
  const latency = o.latencyMs / 1000;
  const queue = shardRows.map((rows) => Math.floor(rows / o.pageSize) + 1);
  const invocations = Array.from({ length: Math.max(1, fetchers) }, () => ({ freeAt: 0, shards: [] as { ready: number; pages: number }[] }));
  let nextTurn = 0;
  let end = 0;
  for (;;) {
    const active = invocations.flatMap((inv) => inv.shards.filter((s) => s.pages > 0));
    const soonest = active.reduce((t, s) => Math.min(t, s.ready), Infinity);
    // An idle invocation takes its next batch when it is free, if that comes before the next request.
    const idle = queue.length > 0 ? invocations.filter((inv) => inv.shards.every((s) => s.pages === 0)).sort((a, b) => a.freeAt - b.freeAt)[0] : undefined;
    if (idle && idle.freeAt <= soonest) {
      idle.shards = queue.splice(0, Math.max(1, shardsPerFetcher)).map((pages) => ({ ready: idle.freeAt, pages }));
      continue;
    }
    if (active.length === 0) break;
    // Requests in the order they are asked for: always the shard that is ready first.
    const shard = active.find((s) => s.ready === soonest)!;
    const owner = invocations.find((inv) => inv.shards.includes(shard))!;
    const start = Math.max(shard.ready, nextTurn);
    nextTurn = start + 1 / o.rate;
    shard.ready = start + latency;
    shard.pages--;
    owner.freeAt = Math.max(owner.freeAt, shard.ready);
    end = Math.max(end, shard.ready);
  }
  const fills = shardRows.reduce((n, r) => n + r, 0);
  return end > 0 ? fills / (end * o.rate * o.pageSize) : 0;
}

const childScript = fileURLToPath(new URL('./sharding-child.ts', import.meta.url));

/** One backfill in a fresh child process (a fresh warehouse, queues and counters). */
async function runChild(request: ShardingRequest, execArgv: string[]): Promise<ShardingResult> {
  const child = fork(childScript, [], {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  try {
    const next = () =>
      new Promise<{ type: string; result?: ShardingResult; message?: string }>((resolve, reject) => {
        child.once('message', resolve);
        child.once('exit', (code) => reject(new Error(`the sharding child exited (code ${code}) before answering`)));
      });
    if ((await next()).type !== 'ready') throw new Error('the sharding child did not start');
    child.send(request);
    const answer = await next();
    if (answer.type !== 'result' || !answer.result) throw new Error(`the sharding backfill failed in its child: ${answer.message}`);
    return answer.result;
  } finally {
    const exited = once(child, 'exit').catch(() => undefined);
    child.kill();
    await exited;
  }
}

function heaviestToken(ds: Dataset): number {
  const perToken = new Map<string, number>();
  for (const f of ds.fills) perToken.set(fillTokenId(f), (perToken.get(fillTokenId(f)) ?? 0) + 1);
  return Math.max(0, ...perToken.values());
}

/** Runs every fetcher concurrency before and after, against one simulated subgraph. */
export async function measureSharding(o: ShardingOptions, workDir: string, execArgv: string[], log: (line: string) => void): Promise<ShardingFigures> {
  const markets = Math.max(1, Math.round(o.fills / FILLS_PER_MARKET));
  const ds = generateDataset({ seed: o.seed, markets, fills: o.fills, topShare: o.topShare });
  const dataset = { fills: ds.fills.length, markets, heaviestTokenFills: heaviestToken(ds) };
  const sim = await startSimulatedSources({ dataset: ds, rateLimit: { perSecond: o.rate, burst: o.rate } });
  const runs: ShardingRun[] = [];
  try {
    for (const fetchers of o.fetchers) {
      for (const variant of o.variants ?? SHARDING_VARIANTS) {
        const { sizeByParallelism, shardsPerFetcher } = variant;
        resetSources(sim, o);
        const loadBefore = load();
        const name = `${fetchers} fetchers × ${shardsPerFetcher} shard(s), shards by ${sizeByParallelism ? 'rows and parallelism' : 'rows'}`;
        log(`${name}: running (load ${loadBefore})`);
        const request: ShardingRequest = {
          subgraphUrl: sim.subgraphUrl,
          rate: o.rate,
          fetchers,
          sizeByParallelism,
          shardsPerFetcher,
          pageSize: o.pageSize,
          dir: join(workDir, `p${fetchers}-${sizeByParallelism ? 'after' : 'before'}`),
          expectedFills: ds.fills.length,
        };
        const run: ShardingRun = { fetchers, ...variant, result: await runChild(request, execArgv), loadBefore, loadAfter: load() };
        const s = shares(run, o);
        log(`${name}: ${run.result.ok ? 'ok' : `NOT ok (${run.result.reason})`}, ${run.result.shards} shards, fetch phase ${pct(s.fillShare)} of the limit`);
        runs.push(run);
      }
    }
  } finally {
    await sim.close();
  }
  return { options: o, dataset, runs };
}

/**
 * The default slowdown: the stated limit (40 requests/s of 1,000 rows) is
 * 40,000 fills/s, several times what the simulator, the fetchers and the
 * embedded loader together stage and load on 2 cores, so unslowed the runs
 * measure the CPU; at 8x it is 5,000 fills/s.
 */
export const DEFAULT_SHARDING_SLOWDOWN = 8;

const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
/** Up to two decimals, none when whole. */
const upTo2 = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });
const pct = (x: number) => `${n(x * 100, 1)}%`;
const sec = (ms: number) => `${n(ms / 1000, 1)} s`;

/** The part's targets: the fetch phase at ≥ 80% of the limit as shipped, for each fetcher count; every run exact. */
export function shardingTargets(f: ShardingFigures): TargetCheck[] {
  const o = f.options;
  const out: TargetCheck[] = [];
  for (const fetchers of o.fetchers) {
    const before = f.runs.find((r) => r.fetchers === fetchers && isBefore(r));
    const after = f.runs.find((r) => r.fetchers === fetchers && isShipped(r));
    if (!before || !after) continue;
    const b = shares(before, o);
    const a = shares(after, o);
    const met = a.fillShare >= SHARDING_TARGET_SHARE;
    const rise = `${pct(b.fillShare)} → ${pct(a.fillShare)} (${n(a.fillShare / Math.max(b.fillShare, 1e-9), 1)}x; shards ${before.result.shards} → ${after.result.shards})`;
    const inFlight = fetchers * after.shardsPerFetcher;
    const needed = (o.rate * o.latencyMs) / 1000;
    let why = '';
    if (!met) {
      why =
        a.ceiling < SHARDING_TARGET_SHARE
          ? `; missed by ${n((SHARDING_TARGET_SHARE - a.fillShare) * 100, 1)} points: ${inFlight} shards in flight, each one request at a time at ${o.latencyMs} ms, ask at most ${n(inFlight / (o.latencyMs / 1000), 1)} of ${o.rate} requests/s, a ceiling of ${pct(a.ceiling)}; what would close it: fetchers × ${after.shardsPerFetcher} ≥ rate × latency = ${n(needed, 1)}`
          : `; missed by ${n((SHARDING_TARGET_SHARE - a.fillShare) * 100, 1)} points: the ceiling is ${pct(a.ceiling)} and the plan allows ${pct(a.modelled)}; the rest is the work between a response and a shard's next request (parsing, staging, checkpoints) and the wait for a batch's last shard, on 2 cores shared by the subgraph simulator, the fetchers, the embedded engine loading the same fills and other work (load ${after.loadBefore} → ${after.loadAfter}); what would close it: more shards in flight than rate × latency (${n(needed, 1)}), or fetchers on cores of their own as in AWS`;
    }
    out.push({
      target: `fetch phase ≥ ${pct(SHARDING_TARGET_SHARE)} of the source limit with ${fetchers} fetchers as shipped (shards sized by parallelism, ${after.shardsPerFetcher} a fetcher; measured)`,
      measured: rise + why,
      met,
    });
    const planMet = a.modelled >= SHARDING_TARGET_SHARE;
    out.push({
      target: `the plan allows ≥ ${pct(SHARDING_TARGET_SHARE)} of the source limit with ${fetchers} fetchers as shipped (schedule model, no CPU)`,
      measured: `${pct(b.modelled)} → ${pct(a.modelled)}${planMet ? '' : `; missed by ${n((SHARDING_TARGET_SHARE - a.modelled) * 100, 1)} points: ${a.ceiling < SHARDING_TARGET_SHARE ? `the ceiling of ${inFlight} shards in flight is ${pct(a.ceiling)}; more fetchers (fetchers × ${after.shardsPerFetcher} ≥ ${n(needed, 1)}) would close it` : 'shards too few or too uneven for the fetchers; a larger SHARDS_PER_FETCHER would close it'}`}`,
      met: planMet,
    });
  }
  const exact = f.runs.every((r) => r.result.ok);
  out.push({
    target: 'every run loads every fill exactly once (count() FINAL = the source)',
    measured: exact
      ? `${f.runs.length} of ${f.runs.length} runs`
      : f.runs
          .filter((r) => !r.result.ok)
          .map((r) => r.result.reason)
          .join('; '),
    met: exact,
  });
  return out;
}

/** How the stated limit and latency were slowed, for the setup line. */
function slowed(o: ShardingOptions): string {
  const k = o.slowdown ?? 1;
  if (k === 1) return '';
  return ` That is the stated ${upTo2(o.rate * k)} requests/s and ${n(o.latencyMs / k)} ms slowed down ${upTo2(k)}x (rate ÷ ${upTo2(k)}, latency × ${upTo2(k)}): the requests that must be in flight to use the limit, rate × latency = ${n((o.rate * o.latencyMs) / 1000, 1)}, are the same, and the local stack (simulator, fetchers and the embedded loader on this machine's cores) stages and loads ${upTo2(k)}x fewer fills a second, so the runs measure the plan's parallelism rather than this machine's CPU (\`--sharding-slowdown 1\` runs them as stated).`;
}

export function shardingSection(f: ShardingFigures, ctx: Pick<PartContext, 'machine' | 'command'>): string {
  const o = f.options;
  const m = ctx.machine;
  const limit = o.rate * o.pageSize;
  const rows = f.runs.map((run) => {
    const s = shares(run, o);
    const r = run.result;
    const sizedBy = run.sizeByParallelism ? 'rows and parallelism' : 'rows';
    const label = isBefore(run) ? `${sizedBy} (before)` : isShipped(run) ? `${sizedBy} (as shipped)` : sizedBy;
    return `| ${run.fetchers} | ${run.shardsPerFetcher} | ${label} | ${r.shards} | ${sec(r.plannerMs)} | ${sec(r.fetchMs)} | ${n(r.fetchRequests)} | ${n(s.requestsPerSecond, 1)} | ${pct(s.requestShare)} | ${n(s.fillsPerSecond)} | **${pct(s.fillShare)}** | ${pct(s.ceiling)} | ${pct(s.modelled)} | ${sec(r.wallMs)} | ${pct(s.endToEndShare)} | ${r.ok ? 'yes' : 'NO'} | ${run.loadBefore} → ${run.loadAfter} |`;
  });
  return [
    '### Sharding for parallelism',
    '',
    `Run ${new Date().toISOString()} with \`${ctx.command}\`.`,
    '',
    `**Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}; shared with other engineers' tests (load averages per row).`,
    '',
    `**Setup:** ${n(f.dataset.fills)} fills over ${n(f.dataset.markets)} markets (Polymarket's ratio), seed ${o.seed}, heaviest token ${n(f.dataset.heaviestTokenFills)} fills. The simulated subgraph alone, limited to ${upTo2(o.rate)} requests/s (token bucket, burst ${upTo2(o.rate)}), ${n(o.pageSize)} rows a page, ${n(o.latencyMs)} ms added to every response; the pipeline paces at ${upTo2(o.rate)}/s. Limit: ${n(limit)} fills/s.${slowed(o)} Each row is a whole local cycle (\`runCycle\`: planner, fetchers, loader into the embedded engine) in a fresh process. *Before*: each fetcher takes one shard, and the planner is told no concurrency (\`FETCHER_CONCURRENCY=0\`), so shards are sized by rows alone, as before issue 12. *Rows and parallelism*: told the shards in flight, the planner cuts the history by id range into at least ${minShardsFor(1)} shards per shard in flight (\`SHARDS_PER_FETCHER\`). *As shipped*: also each fetcher invocation takes ${QUEUE_SETTINGS.fetcherBatchSize} shards (the shard mapping's batch size) and fetches them side by side. A shard is paged one request after another, so *ceiling* = fetchers × shards each ÷ latency as a share of the limit. The fetch phase runs from the first fetcher invocation to the end of the last; its fills/s is the fills staged in it.`,
    '',
    '| fetchers | shards a fetcher takes | shards sized by | shards | planner | fetch phase | requests | requests/s | of request limit | fills/s fetching | of fill limit | ceiling | plan allows | cycle wall | cycle of limit | complete | load before → after |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    "*Plan allows* replays the shards each run staged (rows per shard, in the planner's order) through a schedule with no CPU in it: the fetchers take shards in order, as many at a time as each takes, and an invocation takes its next batch when all of its shards are done; each request waits for the pacer's turn and then the latency. It is what the plan itself permits, apart from the machine. *Cycle of limit* divides every fill by the whole cycle, planning and the last load included; the loader into the embedded engine on this machine (issue 12 point 3) takes longer than the source needs at this limit, so that column measures the loader more than the sharding.",
    '',
    '#### Targets',
    '',
    ...shardingTargets(f).map(targetLine),
  ].join('\n');
}

const fetcherList = (value: string): number[] => {
  const list = value.split(',').map((x) => CLI_NUMBERS.concurrency(x));
  if (list.length === 0) throw new InvalidArgumentError('must name at least one fetcher count');
  return list;
};

export const shardingPart: BenchPart = {
  name: 'sharding',
  addOptions: (command: Command) =>
    command
      .option('--sharding-fills <n>', 'sharding part: fills in the simulated subgraph', CLI_NUMBERS.benchFills, 178_000)
      .option('--sharding-rate <n>', 'sharding part: source limit, requests per second', CLI_NUMBERS.requestsPerSecond, 40)
      .option('--sharding-latency-ms <n>', 'sharding part: added to every source response', CLI_NUMBERS.latencyMs, 200)
      .option(
        '--sharding-fetchers <list>',
        'sharding part: comma-separated fetcher concurrencies, each run before, sized by parallelism, and as shipped',
        fetcherList,
        [4, 8],
      )
      .option('--sharding-page-size <n>', 'sharding part: rows a subgraph page (SUBGRAPH_PAGE_SIZE)', boundedInt(1, 1000), 1000)
      .option(
        '--sharding-slowdown <k>',
        'sharding part: run the limit k times slower and the latency k times longer (same requests in flight, k times fewer fills a second for this machine to load)',
        boundedInt(1, 1_000),
        DEFAULT_SHARDING_SLOWDOWN,
      ),
  async run(ctx: PartContext): Promise<PartReport> {
    const f = ctx.flags;
    const slowdown = Number(f.shardingSlowdown ?? DEFAULT_SHARDING_SLOWDOWN);
    const options: ShardingOptions = {
      fills: Number(f.shardingFills ?? 178_000),
      seed: ctx.seed,
      rate: Number(f.shardingRate ?? 40) / slowdown,
      latencyMs: Number(f.shardingLatencyMs ?? 200) * slowdown,
      slowdown,
      fetchers: (f.shardingFetchers as number[] | undefined) ?? [4, 8],
      pageSize: Number(f.shardingPageSize ?? 1000),
      topShare: Number(f.topShare ?? 0.1),
    };
    const figures = await measureSharding(options, ctx.workDir, ctx.childExecArgv, ctx.log);
    const targets = shardingTargets(figures);
    const summary = figures.runs.map((run) => {
      const s = shares(run, options);
      return `${run.fetchers} fetchers × ${run.shardsPerFetcher} shard(s), shards by ${run.sizeByParallelism ? 'rows+parallelism' : 'rows'}: ${run.result.shards} shards, fetch phase ${pct(s.fillShare)} of the limit (plan allows ${pct(s.modelled)}, ceiling ${pct(s.ceiling)}), cycle ${pct(s.endToEndShare)}${run.result.ok ? '' : ` NOT ok: ${run.result.reason}`}`;
    });
    return { section: shardingSection(figures, ctx), targets, ok: figures.runs.every((r) => r.result.ok), summary };
  },
};
