import { dynamoDocumentClient, sqsClient } from '#adapters/aws/clients.ts';
import { DynamoStateStore } from '#adapters/aws/dynamo-state-store.ts';
import { SqsLoadQueue, SqsShardQueue } from '#adapters/aws/sqs-queues.ts';
import { readSettings, SOURCE_SETTINGS } from '#shared/config.ts';
import { startBoundedFirstSync, type BoundedStart } from '#shared/ops/bounded-first-sync.ts';
import { estimateFromPlans, estimateLimits, formatFirstSyncEstimate, planWithoutRunning, type FirstSyncEstimate } from '#shared/ops/first-sync-estimate.ts';
import type { SincePoint } from '#shared/ops/window.ts';
import { chainClockFromSettings } from '#shared/sources/chain/block-at-time.ts';
import { buildSources } from '#shared/sources/registry.ts';
import type { PlanWindow, SourceName } from '#shared/sources/source.ts';
import type { LocalAws } from '#local/emulators.ts';
import { syncCommandLine } from './simulated.ts';

export interface BeforeCycleOptions {
  /** The local stand-ins the cycle will use (pass the same `aws` to runCycle). */
  aws: LocalAws;
  /** The handlers' settings, as runCycle gets them. */
  env: Readonly<Record<string, string | undefined>>;
  /** `--since`, parsed (ops/window.ts parseSince). */
  since?: SincePoint | undefined;
  /** `--from/--to`, parsed (ops/window.ts parseOperatorWindow): a windowed run is no first sync. */
  window?: PlanWindow | undefined;
  log: (line: string) => void;
  signal?: AbortSignal | undefined;
  /** The sync command line a hint prints, given its arguments (default `npm run sync -- …`). */
  syncCommandLine?: ((...args: string[]) => string) | undefined;
}

export interface BeforeCycle {
  /** Shown when this is a first sync (no run open, no history source with a watermark). */
  estimate: FirstSyncEstimate | null;
  /** What `--since` did; null without it. */
  start: BoundedStart | null;
}

const HISTORY_SOURCES: readonly SourceName[] = ['subgraph', 'chain'];

/**
 * What `sync` does before its cycle: on a first sync, prints what it will
 * fetch and how long that takes at the configured limits (from the sources'
 * plans; nothing is recorded); with `--since`, records the starting points
 * (shared/ops/bounded-first-sync.ts) and prints how to load the history
 * before them later.
 */
export async function beforeCycle(opts: BeforeCycleOptions): Promise<BeforeCycle> {
  const settings = readSettings(SOURCE_SETTINGS, opts.env);
  const sources = buildSources(settings);
  const region = { region: opts.aws.region };
  const state = new DynamoStateStore(dynamoDocumentClient({ ...region, endpoint: opts.aws.dynamoEndpoint }), opts.aws.table);
  const [open, watermarks] = await Promise.all([state.getOpenRunId(), state.getWatermarks()]);
  const history = HISTORY_SOURCES.filter((name) => sources[name]);
  const firstSync = !open && !opts.window && history.length > 0 && history.every((name) => !watermarks[name]);

  let estimate: FirstSyncEstimate | null = null;
  if (firstSync) {
    const window = opts.since ? { from: opts.since.iso } : undefined;
    estimate = estimateFromPlans(await planWithoutRunning(sources, {}, window, opts.signal), estimateLimits(settings));
    opts.log(formatFirstSyncEstimate(estimate));
    if (!opts.since) opts.log('  (a first sync reads all history; `sync --since 30d` loads the last 30 days first, and the rest later)');
  }
  if (!opts.since) return { estimate, start: null };

  const sqs = sqsClient({ ...region, endpoint: opts.aws.sqsEndpoint });
  const start = await startBoundedFirstSync(
    {
      state,
      shardQueue: new SqsShardQueue(sqs, opts.aws.shardQueueUrl),
      loadQueue: new SqsLoadQueue(sqs, opts.aws.loadQueueUrl, opts.aws.bucket),
      sources,
      ...(sources.chain ? { chain: chainClockFromSettings(settings) } : {}),
    },
    opts.since,
    'sync --since',
    opts.signal,
  );
  opts.log(describeStart(start, opts.syncCommandLine));
  return { estimate, start };
}

/** A window as the sync command's arguments. */
const windowArgs = (w: PlanWindow): string[] => [...(w.from ? ['--from', w.from] : []), ...(w.to ? ['--to', w.to] : [])];

/** What `--since` did, and what to run later for the history before it. */
export function describeStart(start: BoundedStart, commandLine = (...args: string[]) => syncCommandLine({}, ...args)): string {
  const since = start.since.iso;
  switch (start.outcome) {
    case 'started': {
      const points = Object.entries(start.startingPoints).map(([name, v]) =>
        name === 'chain' ? `the chain from block ${BigInt(v!) + 1n}` : `the ${name} from fills after ${since}`,
      );
      const whole = start.wholeHistory.map((name) => `${name}: --since is before its first block, so all of it`);
      return [
        `bounded first sync from ${since}: reading ${points.join(' and ')} up to the head${whole.length ? `; ${whole.join('; ')}` : ''}.`,
        `  The history before ${since} is not loaded. To load it later (no gap, nothing twice):`,
        `  ${commandLine(...windowArgs(start.backfill))}`,
      ].join('\n');
    }
    case 'nothing-to-start': {
      const kept = Object.entries(start.kept).map(([name, v]) => `${name} at ${v}`);
      const parts = [
        ...(kept.length ? [`already synced (${kept.join(', ')})`] : []),
        ...start.wholeHistory.map((name) => `${name}: --since is before its first block`),
      ];
      return `--since ${since} changes nothing: ${parts.join('; ')}. The sync continues from the watermarks.`;
    }
    case 'run-open':
      return `run ${start.runId} is still open and is resumed first; --since bounds only a first sync and was not applied.`;
    case 'busy':
      return 'another planner holds the lease right now; --since was not applied. Try again in a few minutes.';
  }
}
