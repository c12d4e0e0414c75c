import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { measureFreshness, type Freshness } from '#shared/pipeline/freshness.ts';
import { probeQuality, type QualityMetrics } from '#shared/ops/quality/probe.ts';
import type { WarehouseProvider } from '#shared/ports/index.ts';
import type { StateStore } from '#shared/ports/state.ts';
import { loggableError } from '#shared/telemetry/redact.ts';
import type { Observability } from './observability.ts';

export interface MonitorHandlerDeps extends Observability {
  state: StateStore;
  warehouse: WarehouseProvider;
  /** CHAIN_ADAPTERS and CHAIN_EXCHANGES when the stage sets them, for the attribution probe. */
  chain?: { adapters?: readonly string[] | undefined; exchanges?: readonly string[] | undefined };
}

/** Before the first load there is no age to report; this stands in so the alarm still breaches. */
const NEVER_LOADED_SECONDS = 10 * 365 * 24 * 3600;

/**
 * The data-quality figures change slowly (one is a daily count), and each
 * probe queries ClickHouse, which would otherwise be woken every 5 minutes.
 * So the warehouse is probed by the first invocation of each hour only; the
 * quality alarms evaluate hourly periods (infra/constructs/monitoring.ts).
 */
export const QUALITY_PROBE_EVERY_MS = 60 * 60 * 1000;
const SCHEDULE_MS = 5 * 60 * 1000;

/** Time kept back from the function's timeout so the last metrics still get out. */
const DEADLINE_MARGIN_MS = 3_000;

export interface MonitorResult {
  freshness: Freshness;
  /** Null when this invocation did not probe the warehouse or the probe failed as a whole. */
  quality: QualityMetrics | null;
}

/** True for the one scheduled invocation per hour that falls in the hour's first 5-minute slot. */
export function isQualitySlot(nowMs: number): boolean {
  return nowMs % QUALITY_PROBE_EVERY_MS < SCHEDULE_MS;
}

function deadline(context: Context): AbortSignal {
  const remaining = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 30_000;
  return AbortSignal.timeout(Math.max(1_000, remaining - DEADLINE_MARGIN_MS));
}

export function createMonitorHandler(deps: MonitorHandlerDeps) {
  const { logger, metrics, state } = deps;

  /**
   * Runs on its own schedule and publishes freshness even when the pipeline has
   * stopped, so a stalled sync shows up as a rising number, not as silence.
   * Once an hour it also asks ClickHouse about the data itself. Freshness is
   * flushed before that: a ClickHouse outage, a missing grant or a query that
   * hangs until the function's timeout cannot take the freshness figures with it.
   */
  async function probe(_event: unknown, context: Context): Promise<MonitorResult> {
    const now = Date.now();
    const freshness = await measureFreshness(state, now);
    metrics.addMetric('SecondsSinceLastLoad', MetricUnit.Seconds, freshness.secondsSinceLastLoad ?? NEVER_LOADED_SECONDS);
    metrics.addMetric('NewestFillLagSeconds', MetricUnit.Seconds, freshness.newestFillLagSeconds ?? NEVER_LOADED_SECONDS);
    logger.info('freshness', { ...freshness });
    metrics.publishStoredMetrics();

    const quality = isQualitySlot(now) ? await probeWarehouse(now, deadline(context)) : null;
    return { freshness, quality };
  }

  /** Publishes what the quality probe measured; a failure is logged and counted, never thrown. */
  async function probeWarehouse(nowMs: number, signal: AbortSignal): Promise<QualityMetrics | null> {
    try {
      const warehouse = await deps.warehouse();
      const runOpen = (await state.getOpenRunId()) !== null;
      const q = await probeQuality(
        { ...warehouse, signal },
        { now: Math.floor(nowMs / 1000), runOpen, adapters: deps.chain?.adapters, exchanges: deps.chain?.exchanges },
      );
      if (q.dailyFillsDropPercent !== null) metrics.addMetric('DailyFillsDropPercent', MetricUnit.Percent, q.dailyFillsDropPercent);
      if (q.unmappedPercent !== null) metrics.addMetric('UnmappedFillsPercent', MetricUnit.Percent, q.unmappedPercent);
      if (q.mappedTokens !== null) metrics.addMetric('MappedTokens', MetricUnit.Count, q.mappedTokens);
      if (q.mappedTokensLost !== null) metrics.addMetric('MappedTokensLost', MetricUnit.Count, q.mappedTokensLost);
      if (q.misattributedAddresses !== null) metrics.addMetric('MisattributedActivityAddresses', MetricUnit.Count, q.misattributedAddresses);
      metrics.addMetric('QualityProbeFailed', MetricUnit.Count, q.errors.length > 0 ? 1 : 0);
      if (q.errors.length > 0) logger.error('quality probe incomplete', { errors: q.errors });
      logger.info('quality', { ...q, runOpen });
      return q;
    } catch (error) {
      metrics.addMetric('QualityProbeFailed', MetricUnit.Count, 1);
      logger.error('quality probe failed', { error: loggableError(error) });
      return null;
    }
  }

  return middy(probe).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
