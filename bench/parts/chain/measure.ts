import { runClient, runClientHere, type ClientRequest } from './client.ts';
import type { ProviderProfile } from './profiles.ts';
import { fetchBreakdown, type FetchBreakdown } from './breakdown.ts';
import { startProviderProxy, type ProviderProxy, type ProxyStats } from './proxy.ts';
import type { SourceRun } from './run-source.ts';
import type { ScanResult } from './scanner.ts';
import type { BenchWorld } from './world.ts';

/** One client's backfill through one profile, as the proxy and the client saw it. */
export interface ClientFigures {
  seconds: number;
  cpuSeconds: number;
  /** Fills read, and whether they are exactly the world's (none lost, none twice). */
  fills: number;
  exact: boolean;
  proxy: ProxyStats;
  /** HTTP requests answered per second (the profile's calls/s is on these). */
  callsPerSecond: number;
  /** Results per answered eth_getLogs. */
  resultsPerCall: number;
  /** Fills per second while fetching (the source's plan excluded: one round of probes, a fixed cost a long backfill amortises). */
  resultsPerSecond: number;
  /** resultsPerSecond / the profile's limit. */
  shareOfLimit: number;
  /** Fills per second over the whole backfill, plan included, / the limit. */
  wholeShareOfLimit: number;
}

export type SourceFigures = ClientFigures & {
  shards: number;
  divisions: number;
  pages: number;
  planSeconds: number;
  coverageExact: boolean;
  fetch: FetchBreakdown;
  /** Timestamps the chain's rule proved between two headers read (none read for them). */
  timestampsInferred: number;
};

/** The source's run through one profile. */
export interface SourceProfileFigures {
  profile: ProviderProfile;
  logTimestamps: boolean;
  /** Results per second the profile allows at this world's density, and how. */
  limit: number;
  limitFormula: string;
  source: SourceFigures;
  /** The profile ran at 1/slowdown of its stated speed (see ChainBenchOptions.maxLimit); 1 when not. */
  slowdown?: number;
}

export interface ProfileFigures extends SourceProfileFigures {
  scanner: ClientFigures;
  /** Scanner time / source time. */
  speedUp: number;
  /** The scanner's fixed span. */
  scannerSpan: number;
}

const rate = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** What the profile allows, in results per second: calls/s x results per call, or calls/s x span x the world's logs per block. */
export function profileLimit(p: ProviderProfile, w: Pick<BenchWorld, 'logs' | 'firstBlock' | 'lastBlock'>): { limit: number; formula: string } {
  const density = w.logs / (w.lastBlock - w.firstBlock + 1);
  if (p.maxResults !== undefined && (p.maxSpan === undefined || p.maxSpan * density > p.maxResults)) {
    return { limit: p.callsPerSecond * p.maxResults, formula: `${rate(p.callsPerSecond)} calls/s × ${p.maxResults.toLocaleString('en-US')} results` };
  }
  const span = p.maxSpan ?? w.lastBlock - w.firstBlock + 1;
  return {
    limit: p.callsPerSecond * span * density,
    formula: `${rate(p.callsPerSecond)} calls/s × ${span.toLocaleString('en-US')} blocks × ${density.toFixed(3)} logs/block`,
  };
}

/**
 * The scanner's fixed span: the profile's span cap, or on a plan without one
 * the span that holds half the result cap at the world's mean density (what
 * a script author picks so that most calls fit; a refused one is halved).
 */
export function scannerSpan(p: ProviderProfile, w: Pick<BenchWorld, 'logs' | 'firstBlock' | 'lastBlock'>): number {
  if (p.maxSpan !== undefined || p.maxResults === undefined) return p.scannerSpan;
  const density = w.logs / (w.lastBlock - w.firstBlock + 1);
  return Math.max(1, Math.floor((0.5 * p.maxResults) / Math.max(density, 1e-9)));
}

/** Every fill exactly once: as many ids as the world has, each one of the world's. */
function exactly(ids: readonly string[], expected: ReadonlySet<string>): boolean {
  return ids.length === expected.size && new Set(ids).size === ids.length && ids.every((id) => expected.has(id));
}

/** The coverage rows tile [first, last] with no gap and no overlap. */
export function coverageTiles(rows: readonly [number, number][], first: number, last: number): boolean {
  const sorted = [...rows].sort((a, b) => a[0] - b[0]);
  let next = first;
  for (const [from, to] of sorted) {
    if (from !== next || to < from) return false;
    next = to + 1;
  }
  return next === last + 1;
}

function figures(proxy: ProxyStats, seconds: number, planSeconds: number, cpuMs: number, ids: readonly string[], w: BenchWorld, limit: number): ClientFigures {
  const answeredLogs = proxy.getLogsCalls - proxy.refusedResults - proxy.refusedSpan;
  const resultsPerSecond = ids.length / Math.max(1e-3, seconds - planSeconds);
  return {
    seconds,
    cpuSeconds: cpuMs / 1000,
    fills: ids.length,
    exact: exactly(ids, w.expected),
    proxy,
    callsPerSecond: proxy.accepted / seconds,
    resultsPerCall: answeredLogs > 0 ? proxy.results / answeredLogs : 0,
    resultsPerSecond,
    shareOfLimit: resultsPerSecond / limit,
    wholeShareOfLimit: ids.length / seconds / limit,
  };
}

/** xorshift32: the public profile's random 429s are the same on every run with the same seed. */
function seededRandom(seed: number): () => number {
  let rng = seed >>> 0 || 1;
  return () => {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    return (rng >>> 0) / 2 ** 32;
  };
}

interface MeasureOptions {
  fetchers: number;
  seed: number;
  execArgv?: string[] | undefined;
  inProcess?: boolean | undefined;
}

const runIn = (opts: MeasureOptions) => (req: ClientRequest) => (opts.inProcess ? runClientHere(req) : runClient(req, opts.execArgv));

/** The source's backfill through `proxy`, as the proxy and the source saw it. */
async function sourceFigures(proxy: ProviderProxy, w: BenchWorld, profile: ProviderProfile, limit: number, opts: MeasureOptions): Promise<SourceFigures> {
  const s = await runIn(opts)({ kind: 'source', url: proxy.url, adapters: w.adapters, genesis: w.firstBlock, profile, fetchers: opts.fetchers });
  const run = (s.result as { run: SourceRun }).run;
  return {
    ...figures({ ...proxy.stats }, run.ms / 1000, run.planMs / 1000, s.cpuMs, run.fillIds, w, limit),
    shards: run.shards,
    divisions: run.divisions,
    pages: run.pages,
    planSeconds: run.planMs / 1000,
    coverageExact: coverageTiles(run.coverage, w.firstBlock, w.lastBlock),
    timestampsInferred: run.stats.timestampsInferred - run.planStats.timestampsInferred,
    fetch: fetchBreakdown(run.planStats, run.stats, (run.ms - run.planMs) / 1000, {
      callsPerSecond: profile.callsPerSecond,
      perCall: limit / profile.callsPerSecond,
    }),
  };
}

/** Runs `use` against a fresh proxy of `profile` in front of the world's node, with the limit it sets at this world's density. */
async function throughProxy<T>(
  w: BenchWorld,
  profile: ProviderProfile,
  logTimestamps: boolean,
  seed: number,
  use: (proxy: ProviderProxy, limit: { limit: number; formula: string }) => Promise<T>,
): Promise<T> {
  const proxy = await startProviderProxy({ nodeUrl: w.world.rpcUrl, index: w.index, profile, logTimestamps, random: seededRandom(seed) });
  try {
    return await use(proxy, profileLimit(profile, w));
  } finally {
    await proxy.close();
  }
}

/** The source alone through a fresh proxy of `profile` (the at-volume run, whose world is too long for the scanner). */
export function measureSource(w: BenchWorld, profile: ProviderProfile, logTimestamps: boolean, opts: MeasureOptions): Promise<SourceProfileFigures> {
  return throughProxy(w, profile, logTimestamps, opts.seed, async (proxy, { limit, formula }) => ({
    profile,
    logTimestamps,
    limit,
    limitFormula: formula,
    source: await sourceFigures(proxy, w, profile, limit, opts),
  }));
}

/**
 * The source, then the scanner, each through a fresh proxy of `profile` in
 * front of the world's node, each in a child process of its own.
 */
export function measureProfile(w: BenchWorld, profile: ProviderProfile, logTimestamps: boolean, opts: MeasureOptions): Promise<ProfileFigures> {
  return throughProxy(w, profile, logTimestamps, opts.seed, async (proxy, { limit, formula }) => {
    const source = await sourceFigures(proxy, w, profile, limit, opts);
    proxy.resetStats();
    const c = await runIn(opts)({ kind: 'scan', url: proxy.url, adapters: w.adapters, from: w.firstBlock, to: w.lastBlock, span: scannerSpan(profile, w) });
    const scanRun = (c.result as { run: ScanResult }).run;
    const scanner = figures({ ...proxy.stats }, scanRun.ms / 1000, 0, c.cpuMs, scanRun.ids, w, limit);
    return {
      profile,
      logTimestamps,
      limit,
      limitFormula: formula,
      source,
      scanner,
      speedUp: scanner.seconds / source.seconds,
      scannerSpan: scannerSpan(profile, w),
    };
  });
}
