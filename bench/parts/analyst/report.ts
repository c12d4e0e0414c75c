import type { TargetCheck } from '#bench/lib/markdown.ts';
import { targetLine, type PartContext } from '#bench/parts/part.ts';
import { LATEST_SCHEMA_VERSION } from '#adapters/clickhouse/migrations.ts';
import type { AnalystSizeResult } from './measure.ts';

/** The issue's targets at 100 M fills. */
export const TARGET_FILLS = 100_000_000;
export const TARGETS = { 'wallet-history': 100, 'market-day-ohlc': 300 } as const;
export const SPEEDUP_TARGET = 10;

const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const ms = (x: number) => (x >= 100 ? n(x) : n(x, 1));
const size = (fills: number) => (fills >= 1e6 ? `${n(fills / 1e6, fills % 1e6 ? 1 : 0)} M` : n(fills));

/** Met or missed at the target size; at any other size the line says which size it stands in for. */
export function analystTargets(results: AnalystSizeResult[]): TargetCheck[] {
  const at = results.find((r) => r.spec.fills === TARGET_FILLS) ?? null;
  const largest = [...results].sort((a, b) => b.spec.fills - a.spec.fills)[0];
  const out: TargetCheck[] = [];
  for (const [name, limit] of Object.entries(TARGETS)) {
    const r = at ?? largest;
    const q = r?.queries.find((x) => x.name === name);
    const label = `${name} at ${size(TARGET_FILLS)} fills: p50 < ${limit} ms and ≥ ${SPEEDUP_TARGET}x today's schema`;
    if (!r || !q) {
      out.push({ target: label, measured: 'not measured', met: null });
      continue;
    }
    const under = q.next.p50 < limit;
    const absolute = `new p50 ${ms(q.next.p50)} ms (${under ? 'under' : `${n(q.next.p50 / limit, 1)}x over`} the ${limit} ms)`;
    let how: string;
    let met: boolean | null;
    if (q.today) {
      const speedup = q.today.p50 / q.next.p50;
      how = `${absolute}, ${n(speedup, 1)}x today's ${ms(q.today.p50)} ms`;
      met = under && speedup >= SPEEDUP_TARGET;
    } else {
      // Without today's figure the speed-up is unknown: a miss on time is still a miss.
      how = `${absolute}; today's schema not measured at this size`;
      met = under ? null : false;
    }
    out.push({
      target: label,
      measured: at ? how : `not measured at ${size(TARGET_FILLS)}; at ${size(r.spec.fills)}: ${how}`,
      met: at ? met : null,
    });
  }
  return out;
}

const generated = (r: AnalystSizeResult) =>
  `${n(r.fills)} fills (half of them taker-order legs) over ${n(r.spec.markets)} markets and ${n(r.spec.wallets)} wallets, ${r.spec.months} monthly partitions, seed ${r.spec.seed}`;

const LAYOUT_TEXT: Record<AnalystSizeResult['layout'], (r: AnalystSizeResult) => string> = {
  both: (r) =>
    `${generated(r)}; generated in the engine in ${n(r.generateMs / 1000, 1)} s, merged in ${n(r.mergeTodayMs / 1000, 1)} s. ` +
    `\`migrate\` took the copy at today's schema to the new one in ${n(r.migrateMs / 1000, 1)} s (merged after in ${n(r.mergeNextMs / 1000, 1)} s): ` +
    `${n(r.integrity.todayFinal)} fills FINAL before; ${n(r.integrity.next)} rows, ${n(r.integrity.nextFinal)} FINAL, ${n(r.integrity.nextDistinct)} distinct after.`,
  'one-at-a-time': (r) =>
    `${generated(r)}; generated in the engine in ${n(r.generateMs / 1000, 1)} s, merged in ${n(r.mergeTodayMs / 1000, 1)} s. ` +
    `The disk could not hold both designs, so they were built one at a time: today's was measured and dropped, then the same fills (same seed) were generated straight into the new design in ${n(r.migrateMs / 1000, 1)} s (merged in ${n(r.mergeNextMs / 1000, 1)} s); the migration was not run at this size. ` +
    `${n(r.integrity.todayFinal)} fills FINAL in today's; ${n(r.integrity.next)} rows, ${n(r.integrity.nextFinal)} FINAL, ${n(r.integrity.nextDistinct)} distinct in the new design.`,
  'new-only': (r) =>
    `${generated(r)}, ` +
    `generated straight into the new design alone (\`--analyst-layout new-only\`) in ${n(r.migrateMs / 1000, 1)} s, merged in ${n(r.mergeNextMs / 1000, 1)} s` +
    (r.reused ? ' by an earlier run whose data this one reused (`--analyst-data`; `migrate` brought its schema up to date)' : '') +
    ': ' +
    `${n(r.integrity.next)} rows, ${n(r.integrity.nextFinal)} FINAL, ${n(r.integrity.nextDistinct)} distinct. Today's schema was not built at this size, so there is no speed-up or row comparison here.`,
};

function sizeBlock(r: AnalystSizeResult): string[] {
  const bytes = (d: AnalystSizeResult['disk']['today']) => {
    if (!d) return 'not measured';
    const proj = Object.entries(d.projections)
      .map(([k, v]) => `${k} ${n(v / d.rows)}`)
      .join(', ');
    return `${n(d.bytes / d.rows)} (projections: ${proj || 'none'})`;
  };
  return [
    `#### ${size(r.spec.fills)} fills`,
    '',
    LAYOUT_TEXT[r.layout](r),
    '',
    `Subjects: wallet \`${r.subject.wallet}\` (the 10th busiest, ${n(r.subject.walletFills)} fills), market \`${r.subject.slug}\` (the 10th busiest, ${n(r.subject.marketFills)} fills), month ${new Date(r.subject.from * 1000).toISOString().slice(0, 7)}.`,
    '',
    '| query | rows | today p50 | today p95 | new p50 | new p95 | p50 speed-up | same rows |',
    '|---|--:|--:|--:|--:|--:|--:|:-:|',
    ...r.queries.map(
      (q) =>
        `| ${q.title} | ${n(q.rows)} | ${q.today ? `${ms(q.today.p50)} ms` : '–'} | ${q.today ? `${ms(q.today.p95)} ms` : '–'} | ${ms(q.next.p50)} ms | ${ms(q.next.p95)} ms | ${q.today ? `${n(q.today.p50 / q.next.p50, 1)}x` : '–'} | ${q.equal === null ? '–' : q.equal ? 'yes' : '**no**'} |`,
    ),
    '',
    `Bytes per fill on disk (table parts, projections included): today ${bytes(r.disk.today)}; new ${bytes(r.disk.next)}.`,
    ...(r.ok ? [] : ['', `**FAILED:** ${r.reason}`]),
    '',
  ];
}

export function analystSection(ctx: PartContext, results: AnalystSizeResult[], runs: number, failures: string[], loadAverage: string): string {
  const m = ctx.machine;
  return [
    `### Analyst queries: today's schema (v4) and the new design (v${LATEST_SCHEMA_VERSION})`,
    '',
    `Run ${new Date().toISOString()} with \`${ctx.command}\` on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, shared with other engineers' work (load average at the end: ${loadAverage}). ` +
      `Each size runs in one fresh process on one embedded engine (chDB), both designs side by side unless its paragraph says otherwise; each query runs once unmeasured (its rows compared between the designs where both exist), then up to ${runs} measured times (fewer when a query has used its time budget, never fewer than 3); p95 of so few runs is close to the slowest.`,
    '',
    ...results.flatMap(sizeBlock),
    ...failures.map((f) => `**FAILED:** ${f}`),
    ...analystTargets(results).map(targetLine),
  ].join('\n');
}
