import type { BenchReport, Measured } from '#bench/harness.ts';
import { incrementalShareOfScratch, type PositionsRefreshRun } from './positions-part.ts';
import { EXCHANGE_ACTIVITY_SHARE } from './positions-data.ts';

const n = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mib = (bytes: number) => (bytes > 0 ? `${n(bytes / 2 ** 20)} MiB` : '–');
const secs = (ms: number) => `${n(ms / 1000, 1)} s`;
const pct = (x: number) => `${n(x * 100, 1)}%`;

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`, ...cells.slice(1).map(line)].join(
    '\n',
  );
}

const LABEL: Record<string, string> = {
  pipeline: '(a) our pipeline (local runner)',
  'per-market': '(b) per market, one insert each',
  'global-cursor': '(c) single global cursor (complete)',
  'global-cursor-lossy': '(c′) single global cursor, `timestamp_gt`',
};

export function approachTable(r: BenchReport): string {
  const runs = r.runs.filter((m) => m.name in LABEL);
  const limit = r.physicalLimitFillsPerSecond;
  return table(
    [
      'approach',
      'workers',
      'wall',
      'fills/s',
      'of limit',
      'subgraph requests (429)',
      'fills/request',
      'market-list req.',
      'CH inserts',
      'peak RSS',
      'complete',
      'load before → after',
    ],
    runs.map((m) => {
      const fills = m.result.fillsInWarehouse;
      const fps = fills / (m.result.wallMs / 1000);
      const workers = m.name.startsWith('global') ? 1 : r.options.workers;
      return [
        LABEL[m.name]!,
        workers,
        secs(m.result.wallMs),
        n(fps),
        pct(fps / limit),
        `${n(m.source.requests)} (${n(m.source.rateLimited)})`,
        n(fills / Math.max(1, m.source.requests)),
        n(m.source.marketListRequests),
        n(m.result.clickhouseInserts),
        mib(m.memory.maxRssBytes),
        m.result.ok ? 'yes' : `NO: ${m.result.reason}`,
        `${m.loadBefore} → ${m.loadAfter}`,
      ];
    }),
  );
}

function find(r: BenchReport, name: string): Measured | undefined {
  return r.runs.find((m) => m.name === name);
}

export function loaderTable(r: BenchReport): string {
  const rows = ['loader-1-object', 'loader-20k-objects', 'loader-http-sink']
    .map((name) => find(r, name))
    .filter((m): m is Measured => Boolean(m))
    .map((m) => [
      m.name === 'loader-http-sink'
        ? `one object of ${n(m.result.fillsLoaded)} rows → HTTP sink (Lambda path, no engine)`
        : m.name === 'loader-1-object'
          ? `one object of ${n(m.result.fillsLoaded)} rows → chDB`
          : `${n(Number(m.result.extra.objects))} objects of ${n(Number(m.result.extra.rowsPerObject))} rows → chDB`,
      secs(m.result.wallMs),
      n(m.result.fillsLoaded / (m.result.wallMs / 1000)),
      n(m.result.clickhouseInserts),
      mib(m.memory.baselineRssBytes),
      mib(m.memory.maxRssBytes),
      mib(m.memory.peakJsBytes),
      m.result.ok ? 'yes' : `NO: ${m.result.reason}`,
      `${m.loadBefore} → ${m.loadAfter}`,
    ]);
  if (rows.length === 0) return '(not run)';
  return table(
    ['staged input', 'wall', 'rows/s', 'CH inserts', 'RSS before load', 'peak RSS', 'peak JS heap+external', 'complete', 'load before → after'],
    rows,
  );
}

export function fetcherTable(r: BenchReport): string {
  const runs = r.runs.filter((m) => m.name === 'fetcher' || m.name.startsWith('fetcher-'));
  if (runs.length === 0) return '(not run)';
  return table(
    [
      'source',
      'shard',
      'rows',
      'pages per object',
      'objects',
      'wall',
      'requests (429)',
      'RSS before',
      'peak RSS',
      'peak JS heap+external',
      'load before → after',
    ],
    runs.map((m) => {
      const e = m.result.extra;
      return [
        String(e.source ?? 'subgraph'),
        String(e.shardLabel),
        n(m.result.fillsLoaded),
        String(e.pagesPerObject),
        n(Number(e.objects)),
        secs(m.result.wallMs),
        `${m.source.requests} (${m.source.rateLimited})`,
        mib(m.memory.baselineRssBytes),
        mib(m.memory.maxRssBytes),
        mib(m.memory.peakJsBytes),
        `${m.loadBefore} → ${m.loadAfter}`,
      ];
    }),
  );
}

export function incrementalTable(r: BenchReport): string {
  const inc = r.incremental;
  if (!inc) return '(not run)';
  const m = inc.measured;
  const fills = m.source.byRootField.orderFilledEvents ?? 0;
  return table(
    [
      'new fills',
      'loaded',
      'subgraph requests (429)',
      'of which fill pages',
      'minimum',
      'ratio',
      'market-list req.',
      'wall',
      'complete',
      'load before → after',
    ],
    [
      [
        n(inc.newFills),
        n(Number(m.result.extra.newFills)),
        `${m.source.requests} (${m.source.rateLimited})`,
        n(fills),
        n(inc.minimumSubgraphRequests),
        `${n(m.source.requests / inc.minimumSubgraphRequests, 2)}x`,
        n(m.source.marketListRequests),
        secs(m.result.wallMs),
        m.result.ok ? 'yes' : `NO: ${m.result.reason}`,
        `${m.loadBefore} → ${m.loadAfter}`,
      ],
    ],
  );
}

/** The positions part: the data it generated, then both refreshes side by side. */
export function positionsTable(r: BenchReport): string {
  const p = r.positions;
  if (!p) return '(not run)';
  const d = p.data;
  const lines: string[] = [];
  if (p.base) {
    lines.push(
      `Data, generated in the engine in ${secs(p.generateMs ?? 0)}: ${n(p.base.fills)} fills (half of them taker-order legs, taker = the exchange), ` +
        `${n(p.base.activity)} splits, merges and redemptions (${n(d.activityPerFill * 100, 1)} per 100 fills, ${pct(EXCHANGE_ACTIVITY_SHARE)} the exchanges' own, which the method skips), ` +
        `${n(d.markets)} binary markets (CTF position ids; ${pct(d.negRiskShare)} NegRisk, ${pct(d.resolvedShare)} resolved), ` +
        `${n(p.base.wallets)} of ${n(d.wallets)} wallets active (heavy tail: index = n·u³), seed ${d.seed}.`,
    );
  }
  if (p.increment) {
    lines.push(
      `Increment (${pct(p.share)} of the fills) in new blocks: ${n(p.increment.fills)} fills and ${n(p.increment.activity)} activity rows of ${n(p.increment.wallets)} wallets, added in ${secs(p.extendMs ?? 0)}.`,
    );
  }
  const row = (label: string, m: PositionsRefreshRun | undefined, share: string) => {
    if (!m) return [label, '–', '–', '–', '–', '–', share, '–', '–', '–', '–', '–', '–', '–'];
    const f = m.figures;
    return [
      label,
      n(f.result.events),
      n(f.result.wallets),
      n(f.result.positionsWritten),
      secs(f.wallMs),
      n(f.result.events / (f.wallMs / 1000)),
      share,
      n(m.result.clickhouseInserts),
      mib(m.memory.baselineRssBytes),
      mib(m.memory.maxRssBytes),
      mib(m.memory.peakJsBytes),
      n(f.positionsRows),
      mib(f.positionsBytesOnDisk),
      `${m.loadBefore} → ${m.loadAfter}`,
    ];
  };
  const ratio = incrementalShareOfScratch(p);
  lines.push(
    '',
    table(
      [
        'refreshPositions',
        'events read',
        'wallets',
        'positions written',
        'wall',
        'events/s',
        'of from-scratch time',
        'CH inserts',
        'RSS before',
        'peak RSS',
        'peak JS heap+external',
        'positions (FINAL)',
        'positions on disk',
        'load before → after',
      ],
      [row('from scratch', p.fromScratch, '100%'), row(`incremental, ${pct(p.share)} new`, p.incremental, ratio === null ? '–' : pct(ratio))],
    ),
  );
  if (!p.ok) lines.push('', `**Failed:** ${p.reason}`);
  return lines.join('\n');
}

export function costTable(r: BenchReport): string {
  if (!r.cost) return '(not run)';
  const total = r.cost.reduce((a, c) => a + c.dollarsPerMillionFills, 0);
  return [
    table(
      ['item', 'per million fills', 'unit', 'price', '$ per million fills', 'from'],
      [
        ...r.cost.map((c) => [
          c.item,
          n(c.perMillionFills, c.perMillionFills < 10 ? 2 : 0),
          c.unit,
          c.price,
          `$${c.dollarsPerMillionFills.toFixed(4)}`,
          c.basis,
        ]),
        ['**total**', '', '', '', `**$${total.toFixed(4)}**`, ''],
      ],
    ),
    '',
    `At this rate a full V1 backfill of 37 M fills costs about $${(total * 37).toFixed(2)}; an incremental run every 6 h costs mostly its fixed overhead.`,
  ].join('\n');
}

export function pipelineDetails(r: BenchReport): string {
  const m = find(r, 'pipeline');
  if (!m) return '';
  const e = m.result.extra;
  const inv = m.result.invocations ?? {};
  const lines = [
    `- shards ${e.shards}, objects staged ${e.objectsStaged} / loaded ${e.objectsLoaded}, client retries ${e.retries}, failed messages ${e.failedMessages}, shards handed back ${e.shardsHandedBack}`,
    `- planner (cycle start → first fetcher) ${secs(Number(e.plannerMs))}`,
    ...Object.entries(inv).map(([fn, s]) => `- ${fn}: ${s.count} invocations, ${secs(s.totalMs)} in total, longest ${secs(s.maxMs)}`),
    `- subgraph requests by root field: ${Object.entries(m.source.byRootField)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  return lines.join('\n');
}

export function consoleSummary(r: BenchReport): string {
  const positions = ['', 'positions:', positionsTable(r)];
  // The positions part alone needs no simulated source: nothing else to show.
  if (r.options.approaches.length === 1 && r.positions)
    return [`machine: ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, node ${r.machine.node}`, ...positions].join('\n');
  return [
    `machine: ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, node ${r.machine.node}`,
    `source limit: ${r.options.rate} requests/s × 1,000 rows = ${n(r.physicalLimitFillsPerSecond)} fills/s; latency ${r.options.latencyMs} ms`,
    '',
    approachTable(r),
    '',
    'fetcher alone:',
    fetcherTable(r),
    '',
    'loader alone:',
    loaderTable(r),
    '',
    'incremental:',
    incrementalTable(r),
    '',
    'AWS cost model:',
    costTable(r),
    ...positions,
  ].join('\n');
}
