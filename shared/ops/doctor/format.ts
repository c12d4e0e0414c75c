import type { DoctorReport } from './types.ts';

const MARK = { ok: 'ok', warn: 'WARN', fail: 'FAIL' } as const;

/** The report as a person reads it: the settings, then one line per check, then the verdict. */
export function formatDoctor(r: DoctorReport): string {
  const keyWidth = Math.max(...Object.keys(r.settings).map((k) => k.length));
  const nameWidth = Math.max(...r.checks.map((c) => c.name.length), 'check'.length);
  const lines = ['settings the sync would use:'];
  for (const [k, v] of Object.entries(r.settings)) lines.push(`  ${k.padEnd(keyWidth)}  ${String(v)}`);
  lines.push('', `${'check'.padEnd(nameWidth)}  status  detail`);
  for (const c of r.checks) lines.push(`${c.name.padEnd(nameWidth)}  ${MARK[c.status].padEnd(6)}  ${c.detail}`);
  const warns = r.checks.filter((c) => c.status === 'warn').length;
  const fails = r.checks.filter((c) => c.status === 'fail').length;
  const w = warns === 0 ? '' : ` (${warns} warning${warns === 1 ? '' : 's'})`;
  lines.push('', fails > 0 ? `${fails} check${fails === 1 ? '' : 's'} failed: a sync would stop${w}` : `nothing would stop a sync${w}`);
  return lines.join('\n');
}
