import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { runPlanner, type PlannerDeps, type PlannerResult } from '#shared/pipeline/planner.ts';
import { loggableError } from '#shared/telemetry/redact.ts';
import { withCounters, type Observability } from './observability.ts';

export type PlannerHandlerDeps = Omit<PlannerDeps, 'now'> & Observability;

/**
 * Started by the schedule (an EventBridge event, whose fields we ignore) or by
 * an operator with `{ "window": { "from": ..., "to": ... } }` to replay a window.
 */
const plannerEventSchema = z.looseObject({
  window: z.object({ from: z.string().optional(), to: z.string().optional() }).optional(),
  resumeAfterMinutes: z.number().min(0).optional(),
});

/** Shards untouched for this long in an open run are assumed lost and enqueued again. */
const DEFAULT_RESUME_AFTER_MINUTES = 60;

export function createPlannerHandler(deps: PlannerHandlerDeps) {
  const { logger, metrics } = deps;

  async function plan(event: unknown, context: Context): Promise<PlannerResult> {
    const input = plannerEventSchema.parse(event ?? {});
    const result = await withCounters(metrics, () =>
      runPlanner(deps, {
        owner: context.awsRequestId,
        window: input.window,
        resumeAfterMs: (input.resumeAfterMinutes ?? DEFAULT_RESUME_AFTER_MINUTES) * 60_000,
      }),
    );
    logger.info('planner finished', { result });
    return result;
  }

  /** The runtime prints a thrown error whole; source URLs in it may carry keys. */
  async function planSafely(event: unknown, context: Context): Promise<PlannerResult> {
    try {
      return await plan(event, context);
    } catch (error) {
      const safe = loggableError(error);
      logger.error('planning failed', { error: safe });
      throw Object.assign(new Error(safe.message), { name: safe.name });
    }
  }

  return middy(planSafely).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
