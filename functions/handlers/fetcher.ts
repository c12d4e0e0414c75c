import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { fetchShard, type FetcherDeps } from '#shared/pipeline/fetcher.ts';
import { shardMessageSchema } from '#shared/pipeline/messages.ts';
import { loggableError } from '#shared/telemetry/redact.ts';
import { withCounters, type Observability } from './observability.ts';

export type FetcherHandlerDeps = FetcherDeps & Observability;

export function createFetcherHandler(deps: FetcherHandlerDeps) {
  const { logger, metrics } = deps;

  async function fetchRecord(record: SQSRecord, context: Context): Promise<void> {
    try {
      const message = shardMessageSchema.parse(JSON.parse(record.body));
      const outcome = await fetchShard(deps, message, () => context.getRemainingTimeInMillis());
      logger.info('shard fetched', { runId: message.runId, shardId: message.shardId, source: message.source, outcome });
    } catch (error) {
      // The reason travels with the message's history: after maxReceiveCount it is in the DLQ.
      logger.error('shard failed', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error: loggableError(error) });
      throw error;
    }
  }

  async function fetchBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    // One processor per invocation: its prepare() forgets the failures recorded so far.
    return withCounters(metrics, () =>
      processPartialResponse(event, (record: SQSRecord) => fetchRecord(record, context), new BatchProcessor(EventType.SQS), {
        context,
        throwOnFullBatchFailure: false,
        // A batch's shards are fetched side by side (QUEUE_SETTINGS.fetcherBatchSize): each pages one request after another.
        processInParallel: true,
      }),
    );
  }

  return middy(fetchBatch).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
