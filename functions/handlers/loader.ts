import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DERIVE_EVENT, deriveEventSchema } from '#shared/pipeline/messages.ts';
import { createBatchLoader, type BatchFinish, type BatchLoaderDeps } from '#shared/pipeline/load-batch.ts';
import { loggableError } from '#shared/telemetry/redact.ts';
import { withCounters, type Observability } from './observability.ts';

export type LoaderHandlerDeps = BatchLoaderDeps & Observability;

/** Time an invocation keeps after the positions refresh stops: its last batch of wallets and the answer. */
export const DERIVE_STOP_MARGIN_MS = 60_000;

export function createLoaderHandler(deps: LoaderHandlerDeps) {
  const { logger, metrics } = deps;
  const loader = createBatchLoader(deps);

  const logRefresh = ({ positions, positionsError }: BatchFinish) => {
    if (positionsError !== undefined) {
      logger.error('positions refresh failed; the next load batch retries it', { error: loggableError(positionsError) });
    } else if (positions && (positions.events > 0 || !positions.complete)) {
      logger.info(positions.complete ? 'positions refreshed' : 'positions refresh stopped for time; the next invocation resumes it', { ...positions });
    }
  };

  async function handle(event: SQSEvent | typeof DERIVE_EVENT, context: Context): Promise<SQSBatchResponse> {
    const shouldStop = () => context.getRemainingTimeInMillis() < DERIVE_STOP_MARGIN_MS;
    if (deriveEventSchema.safeParse(event).success) {
      return withCounters(metrics, async () => {
        logRefresh(await (await loader.beginBatch()).finish({ shouldStop, skipIfBusy: true }));
        return { batchItemFailures: [] };
      });
    }
    return loadBatch(event as SQSEvent, context, shouldStop);
  }

  async function loadBatch(event: SQSEvent, context: Context, shouldStop: () => boolean): Promise<SQSBatchResponse> {
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
      logRefresh(await batch.finish({ shouldStop }));
      return response;
    });
  }

  return middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
