import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { measureFreshness, type Freshness } from '#shared/pipeline/freshness.ts';
import { logger, metrics } from './observability.ts';
import { pipelineRuntime } from './runtime.ts';

/** Before the first load there is no age to report; this stands in so the alarm still breaches. */
const NEVER_LOADED_SECONDS = 10 * 365 * 24 * 3600;

/**
 * Runs on its own schedule and publishes freshness even when the pipeline has
 * stopped, so a stalled sync shows up as a rising number, not as silence.
 */
async function probe(): Promise<Freshness> {
  const freshness = await measureFreshness(pipelineRuntime().state, Date.now());
  metrics.addMetric('SecondsSinceLastLoad', MetricUnit.Seconds, freshness.secondsSinceLastLoad ?? NEVER_LOADED_SECONDS);
  metrics.addMetric('NewestFillLagSeconds', MetricUnit.Seconds, freshness.newestFillLagSeconds ?? NEVER_LOADED_SECONDS);
  logger.info('freshness', { ...freshness });
  return freshness;
}

export const handler = middy(probe).use(injectLambdaContext(logger)).use(logMetrics(metrics));
