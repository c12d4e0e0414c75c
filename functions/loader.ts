import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { completeRuns, loadObject } from '#shared/pipeline/loader.ts';
import { refreshDerivedTables, type DeriveDeps } from '#shared/pipeline/derive.ts';
import { s3NotificationSchema, s3TestEventSchema } from '#shared/pipeline/messages.ts';
import { assertSchemaCurrent } from '#shared/warehouse/schema.ts';
import { loggableError } from '#shared/telemetry/redact.ts';
import { count } from '#shared/telemetry/counters.ts';
import { logger, metrics, withCounters } from './observability.ts';
import { currentWarehouse, pipelineRuntime } from './runtime.ts';

let schemaChecked = false;

async function loadBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const warehouse = await currentWarehouse();
  if (!schemaChecked) {
    await assertSchemaCurrent(warehouse.client, warehouse.database);
    schemaChecked = true;
  }
  const runtime = pipelineRuntime();
  const runIds: string[] = [];
  // A batch may announce one object twice (S3 retries, a planner re-announcing): load it once.
  const seen = new Set<string>();
  const loadRecord = async (record: SQSRecord) => {
    try {
      const body: unknown = JSON.parse(record.body);
      if (s3TestEventSchema.safeParse(body).success) return;
      for (const r of s3NotificationSchema.parse(body).Records) {
        // parseStagedKey undoes S3's URL encoding of the key; decode nothing here.
        const key = r.s3.object.key;
        if (seen.has(key)) continue;
        seen.add(key);
        const outcome = await loadObject({ state: runtime.state, blobs: runtime.blobs, ...warehouse }, key);
        runIds.push(outcome.runId);
        logger.info('object loaded', { ...outcome });
      }
    } catch (error) {
      logger.error('load failed', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error: loggableError(error) });
      throw error;
    }
  };
  return withCounters(async () => {
    const response = await processPartialResponse(event, loadRecord, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false });
    await completeRuns(runtime.state, runIds);
    await refreshPositionsAfterLoads(runtime.state, warehouse, runIds);
    return response;
  });
}

/**
 * Positions follow the chain's watermark. A failure here must not fail the
 * loads (they are in, and retrying them changes nothing): it is logged and
 * counted, and the next batch tries again from where positions stand.
 */
async function refreshPositionsAfterLoads(state: DeriveDeps['state'], warehouse: Omit<DeriveDeps, 'state'>, runIds: string[]): Promise<void> {
  try {
    const refreshed = await refreshDerivedTables({ state, ...warehouse }, runIds);
    if (refreshed && refreshed.events > 0) logger.info('positions refreshed', { ...refreshed });
  } catch (error) {
    count('PositionsRefreshFailed');
    logger.error('positions refresh failed; the next load batch retries it', { error: loggableError(error) });
  }
}

/** Lets the local runner and tests start from a fresh database. */
export function forgetSchemaCheck(): void {
  schemaChecked = false;
}

export const handler = middy(loadBatch).use(injectLambdaContext(logger)).use(logMetrics(metrics));
