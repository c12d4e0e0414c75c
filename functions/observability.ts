import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { since, snapshot, COUNTER_NAMES, type CounterSnapshot } from '#shared/telemetry/counters.ts';

/** One logger and one metrics emitter per function instance, shared by its modules. */
export const logger = new Logger();
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'PolymarketSync',
  defaultDimensions: { Stage: process.env.SYNC_STAGE ?? 'local' },
});

/** Runs one invocation's work and publishes what the domain counted while it ran. */
export async function withCounters<T>(work: () => Promise<T>): Promise<T> {
  const before: CounterSnapshot = snapshot();
  try {
    return await work();
  } finally {
    const delta = since(before);
    for (const name of COUNTER_NAMES) {
      if (delta[name] !== 0) metrics.addMetric(name, MetricUnit.Count, delta[name]);
    }
  }
}
