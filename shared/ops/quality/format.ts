import type { QualityReport } from './run.ts';
import type { CheckResult } from './types.ts';
import { attributionLines, type AttributionDetails } from './attribution.ts';

const LABEL: Record<CheckResult['status'], string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP', error: 'ERROR' };

/** Example lines under a check that did not pass: what a person looks at next. */
function exampleLines(c: CheckResult): string[] {
  const d = c.details as Record<string, unknown>;
  const lines: string[] = [];
  const list = (label: string, items: unknown) => {
    if (!Array.isArray(items) || items.length === 0) return;
    lines.push(`    ${label}:`);
    for (const item of items.slice(0, 10)) lines.push(`      ${typeof item === 'string' ? item : JSON.stringify(item)}`);
  };
  switch (c.name) {
    case 'duplicates':
      list('fill ids stored more than once', d.examples);
      break;
    case 'ids':
      for (const p of (d.problems as { table: string; problem: string; examples: unknown[] }[] | undefined) ?? []) list(`${p.table}, ${p.problem}`, p.examples);
      break;
    case 'chain-coverage':
      list(
        'blocks never read (from, to, blocks)',
        (d.gaps as { from: string; to: string; blocks: string }[] | undefined)?.map((g) => `${g.from}..${g.to} (${g.blocks})`),
      );
      break;
    case 'unmapped':
      list('most-filled unmapped tokens', d.top);
      break;
    case 'daily-volume':
      list(
        'drops',
        (d.drops as { day: string; previous: number; fills: number; drop: number }[] | undefined)?.map(
          (x) => `${x.day}: ${x.fills} fills after ${x.previous} (-${(x.drop * 100).toFixed(1)}%)`,
        ),
      );
      break;
    case 'rejects':
      list(
        'reasons',
        (d.reasons as { source: string; reason: string; rows: number }[] | undefined)?.map((r) => `${r.rows}  ${r.source}: ${r.reason}`),
      );
      break;
    case 'token-conflicts':
      list('tokens', d.examples);
      break;
    case 'resolutions':
      list('CLOB winner flags against the chain', d.examples);
      break;
    case 'attribution':
      list('credited with activity', attributionLines(c.details as AttributionDetails));
      break;
    default:
      break;
  }
  return lines;
}

/** One line per check (name, status, summary), examples under the ones that need a look, and the verdict. */
export function formatReport(r: QualityReport): string {
  const width = Math.max(...r.checks.map((c) => c.name.length), 5);
  const lines = [`data quality of ${r.database} at ${r.at} (newest fill ${r.newestFill ?? 'none'})`];
  for (const c of r.checks) {
    lines.push(`  ${c.name.padEnd(width)}  ${LABEL[c.status].padEnd(5)}  ${c.summary}`);
    if (c.status !== 'pass' && c.status !== 'skip') lines.push(...exampleLines(c));
  }
  const failed = r.checks.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => c.name);
  lines.push(failed.length === 0 ? 'all checks passed' : `failed: ${failed.join(', ')}`);
  return lines.join('\n');
}
