import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { since, snapshot, COUNTER_NAMES, type CounterSnapshot } from '#shared/telemetry/counters.ts';

/** What every handler logs and measures through: built by whoever builds the handler. */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

export interface ObservabilityOptions {
  /** The `service` of logs and metrics; one for the whole pipeline, so every function's metrics share a dimension set. */
  service: string;
  namespace: string;
  stage: string;
  /** Unset: Powertools reads POWERTOOLS_LOG_LEVEL, as in Lambda. */
  logLevel?: LogLevel;
  /** False sends the EMF records nowhere (local runs and tests have no CloudWatch to read them). */
  publishMetrics?: boolean;
}

/**
 * Metrics that are counted and then dropped instead of written as EMF: a
 * local run or a test has no CloudWatch to read them, and Powertools turns
 * its output off only through an environment variable.
 */
class UnpublishedMetrics extends Metrics {
  override publishStoredMetrics(): this {
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }
}

export function createObservability(opts: ObservabilityOptions): Observability {
  const logger = new Logger({ serviceName: opts.service, ...(opts.logLevel ? { logLevel: opts.logLevel } : {}) });
  const metricsOptions = { namespace: opts.namespace, serviceName: opts.service, defaultDimensions: { Stage: opts.stage } };
  const metrics = opts.publishMetrics === false ? new UnpublishedMetrics(metricsOptions) : new Metrics(metricsOptions);
  return { logger, metrics };
}

/** Runs one invocation's work and publishes what the domain counted while it ran. */
export async function withCounters<T>(metrics: Metrics, work: () => Promise<T>): Promise<T> {
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
