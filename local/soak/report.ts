/** What a soak found: the warehouse compared with the source fill by fill, the faults it met, and how to print it. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { CounterSnapshot } from '#shared/telemetry/counters.ts';
import type { Dataset, FaultCounts } from '#simulator/index.ts';

export interface SoakReport {
  ok: boolean;
  fills: number;
  markets: number;
  cycles: number;
  cycleErrors: string[];
  /** Cycles that ended without completing, and where their unfinished messages were. */
  stalls: string[];
  wallMs: number;
  faults: Record<string, number>;
  retries: { source: number; awsSdk: number };
  redeliveries: number;
  redriven: number;
  loaded: { rows: number; final: number; distinct: number };
  lost: number;
  duplicates: number;
  unexpected: number;
  counters: CounterSnapshot;
}

export type FillComparison = Pick<SoakReport, 'loaded' | 'lost' | 'duplicates' | 'unexpected'>;

/** The warehouse's fills against the dataset's, id by id. */
export async function compareFills(client: ClickHouseClient, database: string, dataset: Dataset): Promise<FillComparison> {
  const q = async <T>(sql: string) => ((await (await client.query({ query: sql, format: 'JSONEachRow' })).json()) as T[])[0]!;
  const counts = await q<{ rows: string; final: string; distinct: string }>(
    `SELECT count() AS rows, (SELECT count() FROM ${database}.fills FINAL) AS final, uniqExact(fill_id) AS distinct FROM ${database}.fills`,
  );
  const expected = new Set<string>();
  for (const f of dataset.fills) expected.add(f.id.toLowerCase());
  let unexpected = 0;
  const stream = (await client.query({ query: `SELECT DISTINCT fill_id FROM ${database}.fills`, format: 'JSONCompactEachRow' })).stream();
  for await (const rows of stream) {
    for (const row of rows as { json<T>(): T }[]) {
      const [id] = row.json<[string]>();
      if (!expected.delete(id)) unexpected++;
    }
  }
  const lost = expected.size;
  const loaded = { rows: Number(counts.rows), final: Number(counts.final), distinct: Number(counts.distinct) };
  const duplicates = loaded.rows - loaded.distinct;
  return { loaded, lost, duplicates, unexpected };
}

export interface FaultsMet {
  sources: Record<string, FaultCounts>;
  /** Faults the S3 and DynamoDB proxies injected, by kind. */
  proxies: Record<string, number>[];
  clickhouse: { refused: number; outageMs: number };
}

/** One line per fault kind met, with how many times. */
export function tallyFaults(met: FaultsMet): Record<string, number> {
  const faults: Record<string, number> = {};
  for (const [name, c] of Object.entries(met.sources)) {
    for (const [k, v] of Object.entries(c)) if (v > 0) faults[`${name} ${k === 'rate-limited' ? '429 rate limit (Retry-After)' : k}`] = v;
  }
  Object.assign(faults, ...met.proxies);
  if (met.clickhouse.refused > 0) faults[`clickhouse unreachable for ${met.clickhouse.outageMs / 1000} s (calls refused)`] = met.clickhouse.refused;
  return faults;
}

export function formatSoak(r: SoakReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `chaos soak: ${r.ok ? 'EXACT' : 'NOT EXACT'} — ${n(r.fills)} fills, ${n(r.markets)} markets, ${r.cycles} cycle(s), ${(r.wallMs / 1000).toFixed(1)} s wall`,
    'faults injected:',
    ...Object.entries(r.faults)
      .sort()
      .map(([k, v]) => `  ${k.padEnd(52)} ${n(v).padStart(8)}`),
    `retries: source HTTP ${n(r.retries.source)}, AWS SDK ${n(r.retries.awsSdk)}`,
    `failed deliveries (messages handed back for another try): ${n(r.redeliveries)}; dead letters redriven: ${n(r.redriven)}; cycle errors: ${r.cycleErrors.length}`,
    ...r.stalls.map((x) => `incomplete ${x}`),
    `fills in ClickHouse: ${n(r.loaded.rows)} rows, ${n(r.loaded.final)} with FINAL, ${n(r.loaded.distinct)} distinct ids`,
    `fills lost: ${n(r.lost)}; duplicates: ${n(r.duplicates)}; ids not in the source: ${n(r.unexpected)}`,
    `source requests ${n(r.counters.SourceRequests)} (throttled ${n(r.counters.SourceThrottled)}, server errors ${n(r.counters.SourceServerErrors)}, timeouts ${n(r.counters.SourceTimeouts)}); objects staged ${n(r.counters.ObjectsStaged)}, loaded ${n(r.counters.ObjectsLoaded)}`,
  ];
  return lines.join('\n');
}
