/**
 * Process-wide counters the domain bumps as it works. Lambda handlers turn
 * the deltas of an invocation into CloudWatch metrics; the local runner sums
 * them into its summary. Names match the CloudWatch metric names.
 */
export const COUNTER_NAMES = [
  'SourceRequests',
  'SourceRetries',
  'SourceThrottled',
  'SourceServerErrors',
  'SourceTimeouts',
  'FillsStaged',
  'MarketsStaged',
  'ActivityStaged',
  'RowsRejected',
  'ObjectsStaged',
  'FillsLoaded',
  'FillsAlreadyLoaded',
  'MarketsLoaded',
  'ActivityLoaded',
  'ActivityReattributed',
  'ObjectsLoaded',
  'PositionsUpdated',
  'PositionsRefreshFailed',
  'ShardsHandedBack',
  'ShardSplitsAsked',
  'ShardsSplit',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
export type CounterSnapshot = Record<CounterName, number>;

const values: CounterSnapshot = Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as CounterSnapshot;

export function count(name: CounterName, by = 1): void {
  values[name] += by;
}

export function snapshot(): CounterSnapshot {
  return { ...values };
}

export function since(before: CounterSnapshot): CounterSnapshot {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, values[n] - before[n]])) as CounterSnapshot;
}
