/** What a soak found: the warehouse compared with the world, the faults it met, and how to print it. */
import type { CounterSnapshot } from '#shared/telemetry/counters.ts';
import type { FaultCounts } from '#simulator/index.ts';
import type { IdComparison, RowComparison } from './checks.ts';

export interface SoakReport {
  ok: boolean;
  /** Fills in the world (V1 served by the subgraph, V2 read from the chain). */
  fills: number;
  markets: number;
  cycles: number;
  cycleErrors: string[];
  /** Cycles that ended without completing, and where their unfinished messages were. */
  stalls: string[];
  wallMs: number;
  /** Building the simulated chain, before the sync starts. */
  worldMs: number;
  /** Faults injected, by layer then kind. */
  faults: Record<string, Record<string, number>>;
  /** Requests that reached each fault proxy (attempts, retries included), by layer. */
  requests: Record<string, number>;
  retries: { source: number; awsSdk: number };
  redeliveries: number;
  redriven: number;
  loaded: IdComparison['loaded'];
  lost: number;
  duplicates: number;
  unexpected: number;
  /** Chain activity (splits, merges, redemptions, conversions) by event id. */
  activity: IdComparison;
  positions: RowComparison;
  /** Proxy wallets and Safes with their owners, each at its first sighting. */
  wallets: RowComparison;
  counters: CounterSnapshot;
}

export interface FaultsMet {
  sources: Record<string, FaultCounts>;
  chain: Record<string, number>;
  /** Faults the fault proxies injected, by kind, per layer. */
  proxies: Record<'s3' | 'dynamodb' | 'sqs', Record<string, number>[]>;
  clickhouse: { refused: number; outageMs: number };
}

const positive = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([, v]) => v > 0));

/** Every fault kind met, with how many times, by layer. */
export function tallyFaults(met: FaultsMet): SoakReport['faults'] {
  const sources: Record<string, number> = {};
  for (const [name, c] of Object.entries(met.sources)) {
    for (const [k, v] of Object.entries(c)) if (v > 0) sources[`${name} ${k === 'rate-limited' ? '429 rate limit (Retry-After)' : k}`] = v;
  }
  const merge = (rs: Record<string, number>[]) => positive(Object.assign({}, ...rs) as Record<string, number>);
  return {
    sources,
    chain: positive(Object.fromEntries(Object.entries(met.chain).map(([k, v]) => [`chain ${k}`, v]))),
    s3: merge(met.proxies.s3),
    dynamodb: merge(met.proxies.dynamodb),
    sqs: merge(met.proxies.sqs),
    clickhouse:
      met.clickhouse.refused > 0 ? { [`clickhouse unreachable for ${met.clickhouse.outageMs / 1000} s (calls refused)`]: met.clickhouse.refused } : {},
  };
}

/** All kinds in one flat map (tests look kinds up by name). */
export const allFaults = (r: SoakReport): Record<string, number> => Object.assign({}, ...Object.values(r.faults)) as Record<string, number>;

export function formatSoak(r: SoakReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const layers = Object.entries(r.faults).filter(([, kinds]) => Object.keys(kinds).length > 0);
  const lines = [
    `chaos soak: ${r.ok ? 'EXACT' : 'NOT EXACT'} — ${n(r.fills)} fills, ${n(r.markets)} markets, ${r.cycles} cycle(s), ${(r.wallMs / 1000).toFixed(1)} s wall (${(r.worldMs / 1000).toFixed(1)} s building the chain)`,
    'faults injected:',
    ...layers.flatMap(([layer, kinds]) => [
      `  ${layer} (${n(Object.values(kinds).reduce((a, b) => a + b, 0))}${r.requests[layer] === undefined ? '' : ` of ${n(r.requests[layer])} requests`})`,
      ...Object.entries(kinds)
        .sort()
        .map(([k, v]) => `    ${k.padEnd(58)} ${n(v).padStart(7)}`),
    ]),
    `retries: source HTTP ${n(r.retries.source)}, AWS SDK ${n(r.retries.awsSdk)}`,
    `failed deliveries (messages handed back for another try): ${n(r.redeliveries)}; dead letters redriven: ${n(r.redriven)}; cycle errors: ${r.cycleErrors.length}`,
    ...r.stalls.map((x) => `incomplete ${x}`),
    `fills in ClickHouse: ${n(r.loaded.rows)} rows, ${n(r.loaded.final)} with FINAL, ${n(r.loaded.distinct)} distinct ids (the world has ${n(r.fills)})`,
    `fills lost: ${n(r.lost)}; duplicates: ${n(r.duplicates)}; ids not in the source: ${n(r.unexpected)}`,
    `chain activity: ${n(r.activity.loaded.rows)} rows, ${n(r.activity.loaded.final)} with FINAL, ${n(r.activity.loaded.distinct)} distinct (the world has ${n(r.activity.expected)}); lost ${n(r.activity.lost)}, duplicates ${n(r.activity.duplicates)}, not in the world ${n(r.activity.unexpected)}`,
    `positions: ${n(r.positions.loaded)} in ClickHouse (FINAL), ${n(r.positions.expected)} from the world's events; differing ${n(r.positions.differing)}`,
    ...r.positions.examples.map((x) => `  ${x}`),
    `wallets: ${n(r.wallets.loaded)} in ClickHouse (FINAL), ${n(r.wallets.expected)} in the world; differing ${n(r.wallets.differing)}`,
    ...r.wallets.examples.map((x) => `  ${x}`),
    `source requests ${n(r.counters.SourceRequests)} (throttled ${n(r.counters.SourceThrottled)}, server errors ${n(r.counters.SourceServerErrors)}, timeouts ${n(r.counters.SourceTimeouts)}); objects staged ${n(r.counters.ObjectsStaged)}, loaded ${n(r.counters.ObjectsLoaded)}`,
  ];
  return lines.join('\n');
}
