import type { StateStore } from '#shared/ports/state.ts';
import { runProgress } from '#shared/pipeline/completion.ts';
import { SOURCE_NAMES, type SourceName } from '#shared/sources/source.ts';
import type { DeadLetterQueues, RejectCount, SourceHeads, WarehouseStats } from '#shared/ports/ops.ts';
import { redactUrls } from '#shared/telemetry/redact.ts';

/** Units a source's watermark counts in; the lag is head minus watermark in the same unit. */
export const WATERMARK_UNITS: Record<SourceName, 'seconds' | 'blocks' | null> = {
  markets: null,
  subgraph: 'seconds',
  chain: 'blocks',
};

export interface SourceStatus {
  source: SourceName;
  watermark: string | null;
  /** The run that set the watermark, and when. */
  watermarkRunId: string | null;
  watermarkUpdatedAt: number | null;
  head: string | null;
  /** Head minus watermark, in `unit`; null when either is unknown. */
  lag: number | null;
  unit: 'seconds' | 'blocks' | null;
  /** Why the head could not be read (source down, not configured). */
  headError?: string;
  /** Why the head was not asked for (offline, or the simulated sources are not running). */
  headNotAsked?: string;
}

export interface OpenRunStatus {
  runId: string;
  status: string;
  createdAt: number;
  shards: number;
  shardsDone: number;
  /** Not started: no page fetched yet. */
  shardsPending: number;
  /** Started but not finished. */
  shardsInFlight: number;
  objectsStaged: number;
  objectsLoaded: number;
  rowsStaged: number;
}

export interface SyncStatus {
  at: number;
  sources: SourceStatus[];
  /** When the loader last acknowledged an insert. */
  lastLoadAt: number | null;
  newestFill: Partial<Record<SourceName, number>>;
  openRun: OpenRunStatus | null;
  deadLetters: { shards: number | null; loads: number | null; error?: string };
  /** Rejects recorded by the newest run the warehouse knows (open or finished); null without a warehouse. */
  rejects: { runId: string | null; total: number; rows: RejectCount[] } | null;
  rejectsError?: string;
}

export interface StatusDeps {
  state: StateStore;
  /** The enabled sources; only these are reported. */
  sources: readonly SourceName[];
  heads?: SourceHeads;
  /** Without `heads`: why they are not asked, said in place of the head. */
  headsNotAsked?: string;
  deadLetters?: DeadLetterQueues;
  warehouse?: WarehouseStats;
  now?: () => number;
}

/**
 * Everything an operator asks first, from the pipeline's own records: where
 * each source's watermark is and how far behind the source it lags, when the
 * loader last loaded, what the open run still has to do, what sits in the
 * DLQs and what the last run rejected. A part that cannot be read (a source
 * down, ClickHouse unreachable) is reported as such; the rest still shows.
 */
export async function collectStatus(deps: StatusDeps): Promise<SyncStatus> {
  const now = (deps.now ?? Date.now)();
  const [watermarks, heartbeat, openRunId] = await Promise.all([deps.state.getWatermarks(), deps.state.getLoadHeartbeat(), deps.state.getOpenRunId()]);

  const sources: SourceStatus[] = [];
  for (const source of SOURCE_NAMES.filter((s) => deps.sources.includes(s))) {
    const wm = watermarks[source] ?? null;
    const unit = WATERMARK_UNITS[source];
    const entry: SourceStatus = {
      source,
      watermark: wm?.value ?? null,
      watermarkRunId: wm?.runId ?? null,
      watermarkUpdatedAt: wm?.updatedAt ?? null,
      head: null,
      lag: null,
      unit,
    };
    if (unit && deps.heads) {
      try {
        entry.head = await deps.heads.head(source, entry.watermark);
      } catch (err) {
        entry.headError = errorText(err);
      }
    } else if (unit && deps.headsNotAsked) {
      entry.headNotAsked = deps.headsNotAsked;
    }
    if (entry.head !== null && isInteger(entry.head)) {
      entry.lag = entry.watermark !== null && isInteger(entry.watermark) ? Math.max(0, Number(BigInt(entry.head) - BigInt(entry.watermark))) : null;
    }
    sources.push(entry);
  }

  let openRun: OpenRunStatus | null = null;
  if (openRunId) {
    const [run, shards, progress] = await Promise.all([deps.state.getRun(openRunId), deps.state.listShards(openRunId), runProgress(deps.state, openRunId)]);
    const unfinished = shards.filter((s) => !s.done);
    const pending = unfinished.filter((s) => s.cursor === null && s.nextSeq === 0).length;
    openRun = {
      runId: openRunId,
      status: run?.status ?? 'unknown',
      createdAt: run?.createdAt ?? 0,
      shards: progress.shards,
      shardsDone: progress.shardsDone,
      shardsPending: pending,
      shardsInFlight: unfinished.length - pending,
      objectsStaged: progress.objectsStaged,
      objectsLoaded: progress.objectsLoaded,
      rowsStaged: progress.rowsStaged,
    };
  }

  const deadLetters: SyncStatus['deadLetters'] = { shards: null, loads: null };
  if (deps.deadLetters) {
    try {
      deadLetters.shards = await deps.deadLetters.depth('shards');
      deadLetters.loads = await deps.deadLetters.depth('loads');
    } catch (err) {
      deadLetters.error = errorText(err);
    }
  }

  let rejects: SyncStatus['rejects'] = null;
  let rejectsError: string | undefined;
  if (deps.warehouse) {
    try {
      const runId = openRunId ?? (await deps.warehouse.latestRunId());
      const rows = runId ? await deps.warehouse.rejectsOfRun(runId) : [];
      rejects = { runId, total: rows.reduce((n, r) => n + r.count, 0), rows };
    } catch (err) {
      rejectsError = errorText(err);
    }
  }

  return {
    at: now,
    sources,
    lastLoadAt: heartbeat?.lastLoadAt ?? null,
    newestFill: heartbeat?.newestFill ?? {},
    openRun,
    deadLetters,
    rejects,
    ...(rejectsError ? { rejectsError } : {}),
  };
}

/** A few lines a person reads at a glance. */
export function formatStatus(s: SyncStatus): string {
  const when = (ms: number | null) => (ms === null ? 'never' : `${new Date(ms).toISOString()} (${ago(s.at - ms)} ago)`);
  const lines: string[] = [];
  lines.push('sources:');
  for (const src of s.sources) {
    const wm =
      src.watermark === null ? 'none' : src.unit === 'seconds' ? `${src.watermark} (${new Date(Number(src.watermark) * 1000).toISOString()})` : src.watermark;
    let lag: string;
    if (src.unit === null) lag = 'refreshed whole every run';
    else if (src.headError) lag = `head unknown: ${src.headError}`;
    else if (src.headNotAsked) lag = `head not asked: ${src.headNotAsked}`;
    else if (src.head === null) lag = 'head unknown';
    else if (src.lag === null) lag = `head ${src.head}, nothing loaded yet`;
    else lag = `head ${src.head}, lag ${src.unit === 'seconds' ? ago(src.lag * 1000) : `${src.lag.toLocaleString('en-US')} blocks`}`;
    lines.push(`  ${src.source.padEnd(9)} watermark ${wm}; ${lag}`);
  }
  lines.push(`last load: ${when(s.lastLoadAt)}`);
  if (s.openRun) {
    const r = s.openRun;
    lines.push(
      `open run ${r.runId} (${r.status}, opened ${when(r.createdAt)}): shards ${r.shardsDone}/${r.shards} done, ${r.shardsPending} pending, ${r.shardsInFlight} in flight; objects ${r.objectsLoaded}/${r.objectsStaged} loaded`,
    );
  } else {
    lines.push('open run: none');
  }
  if (s.deadLetters.error) lines.push(`dead letters: unknown (${s.deadLetters.error})`);
  else if (s.deadLetters.shards !== null) lines.push(`dead letters: shards ${s.deadLetters.shards}, loads ${s.deadLetters.loads}`);
  if (s.rejectsError) lines.push(`rejects: unknown (${s.rejectsError})`);
  else if (s.rejects) {
    // The open run, else the newest run that wrote rows: a run that found nothing new writes none.
    const which = s.openRun
      ? `the open run ${s.rejects.runId}`
      : s.rejects.runId
        ? `the newest run that loaded rows, ${s.rejects.runId}`
        : 'any run (none has loaded rows yet)';
    lines.push(`rejects in ${which}: ${s.rejects.total}`);
    for (const r of s.rejects.rows.slice(0, 10)) lines.push(`  ${String(r.count).padStart(8)}  ${r.source}: ${r.reason}`);
  }
  return lines.join('\n');
}

/** True when the pipeline needs a person: something in a DLQ, or rejects in the last run. */
export function needsAttention(s: SyncStatus): boolean {
  return (s.deadLetters.shards ?? 0) > 0 || (s.deadLetters.loads ?? 0) > 0 || (s.rejects?.total ?? 0) > 0;
}

function isInteger(v: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(v);
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

/** Error text without anything that looks like a credential in a URL. */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return redactUrls(text.split('\n')[0]!.slice(0, 300));
}

/** Drops user info and query strings from URLs in a message (tokens live there). */
export { redactUrls } from '#shared/telemetry/redact.ts';
