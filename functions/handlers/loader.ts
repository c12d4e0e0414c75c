import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createBatchLoader, type BatchLoaderDeps } from '#shared/pipeline/load-batch.ts';
import { loggableError } from '#shared/telemetry/redact.ts';
import { withCounters, type Observability } from './observability.ts';

export type LoaderHandlerDeps = BatchLoaderDeps & Observability;

export function createLoaderHandler(deps: LoaderHandlerDeps) {
  const { logger, metrics } = deps;
  const loader = createBatchLoader(deps);

  async function loadBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const batch = await loader.beginBatch();
    const loadRecord = async (record: SQSRecord) => {
      try {
        for (const outcome of await batch.loadAnnouncement(JSON.parse(record.body))) logger.info('object loaded', { ...outcome });
      } catch (error) {
        logger.error('load failed', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error: loggableError(error) });
        throw error;
      }
    };
    return withCounters(metrics, async () => {
      // One processor per invocation: its prepare() forgets the failures recorded so far.
      const response = await processPartialResponse(event, loadRecord, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false });
      const { positions, positionsError } = await batch.finish();
      if (positionsError !== undefined) {
        logger.error('positions refresh failed; the next load batch retries it', { error: loggableError(positionsError) });
      } else if (positions && positions.events > 0) {
        logger.info('positions refreshed', { ...positions });
      }
      return response;
    });
  }

  return middy(loadBatch).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
