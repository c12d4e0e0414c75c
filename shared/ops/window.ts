import type { PlanWindow, SourceName } from '#shared/sources/source.ts';

/** An operator's window or `--since` that cannot be planned; the message alone says what to change. */
export class WindowError extends Error {
  override name = 'WindowError';
}

export interface WindowFlags {
  from?: string | undefined;
  to?: string | undefined;
  since?: string | undefined;
}

export interface WindowRules {
  /** The enabled sources (SYNC_SOURCES): a block number means nothing to the subgraph, whose window takes dates. */
  sources: readonly SourceName[];
  /** Set when the command needs a window (replay): the message for a missing one. */
  requiredMessage?: string;
}

const NUMBER = /^(0|[1-9][0-9]*)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

type BoundKind = 'number' | 'date';

function boundKind(v: string, name: string): BoundKind {
  if (NUMBER.test(v)) return 'number';
  if (ISO_DATE.test(v) && !Number.isNaN(Date.parse(v))) return 'date';
  throw new WindowError(`--${name} ${JSON.stringify(v.slice(0, 40))} is neither an ISO date (2025-01-31T00:00:00Z) nor a block number`);
}

/**
 * Checks an operator's `--from`/`--to` (sync and replay): each bound is an
 * ISO date or a block number, both of one kind, `from` not after `to`; a
 * block number is refused while the subgraph is enabled (its window takes
 * dates, and the same number cannot be a block for the chain and a time for
 * the subgraph); `--since` (a bounded first sync up to the head) does not
 * combine with either bound. Returns the window the planner takes, or
 * undefined when none was given.
 */
export function parseOperatorWindow(flags: WindowFlags, rules: WindowRules): PlanWindow | undefined {
  const f = flags.from?.trim() || undefined;
  const t = flags.to?.trim() || undefined;
  if (flags.since?.trim() && (f || t)) {
    throw new WindowError(
      '--since starts a bounded first sync that runs up to the head; it does not combine with --from/--to (use --since alone, or a --from/--to window alone)',
    );
  }
  if (!f && !t) {
    if (rules.requiredMessage) throw new WindowError(rules.requiredMessage);
    return undefined;
  }
  const fk = f ? boundKind(f, 'from') : undefined;
  const tk = t ? boundKind(t, 'to') : undefined;
  if (f && t) {
    if (fk !== tk) throw new WindowError('--from and --to must both be dates or both be block numbers');
    const reversed = fk === 'number' ? BigInt(f) > BigInt(t) : Date.parse(f) > Date.parse(t);
    if (reversed) throw new WindowError(`--from ${f} is after --to ${t}: the window is reversed`);
  }
  if ((fk === 'number' || tk === 'number') && rules.sources.includes('subgraph')) {
    const [name, value] = fk === 'number' ? ['from', f] : ['to', t];
    throw new WindowError(
      `--${name} ${value} is a block number, but the subgraph is enabled (SYNC_SOURCES includes subgraph) and its window takes dates: give ISO dates (2025-01-31T00:00:00Z)`,
    );
  }
  return { ...(f ? { from: f } : {}), ...(t ? { to: t } : {}) };
}

/** Where a bounded first sync starts: an instant in whole seconds, so every source reads the same second. */
export interface SincePoint {
  /** ISO 8601, UTC, whole seconds. */
  iso: string;
  unixSeconds: number;
}

const DURATION = /^([1-9][0-9]*)([hdw])$/;
const SECONDS_PER = { h: 3_600, d: 86_400, w: 7 * 86_400 } as const;
/** Ten years: longer is Polymarket's whole history anyway, and a typo (30000d) should not pass silently. */
const MAX_DURATION_SECONDS = 3_650 * 86_400;

/**
 * Reads `--since`: an ISO date (`2026-11-01`, `2026-11-01T12:00:00Z`) or a
 * duration back from `nowMs` (`30d`, `12h`, `2w`). The instant is truncated
 * to whole seconds (block and fill times are whole seconds) and must lie in
 * the past.
 */
export function parseSince(value: string, nowMs: number): SincePoint {
  const v = value.trim();
  let unixSeconds: number;
  const duration = DURATION.exec(v);
  if (duration) {
    const seconds = Number(duration[1]) * SECONDS_PER[duration[2] as keyof typeof SECONDS_PER];
    if (seconds > MAX_DURATION_SECONDS)
      throw new WindowError(`--since ${v} reaches back more than ten years; give a date instead, or sync everything without --since`);
    unixSeconds = Math.floor(nowMs / 1000) - seconds;
  } else if (ISO_DATE.test(v) && !Number.isNaN(Date.parse(v))) {
    unixSeconds = Math.floor(Date.parse(v) / 1000);
  } else {
    throw new WindowError(`--since ${JSON.stringify(v.slice(0, 40))} is neither an ISO date (2026-11-01) nor a duration (30d, 12h, 2w)`);
  }
  if (unixSeconds * 1000 >= nowMs) throw new WindowError(`--since ${v} is not in the past: a bounded first sync starts at an earlier time and runs up to now`);
  return { iso: new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z'), unixSeconds };
}
