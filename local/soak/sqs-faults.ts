/**
 * SQS faults for the soak, through the fault proxy. Two callers meet SQS:
 * - the handlers (their AWS_ENDPOINT_URL_SQS): the planner's and fetcher's
 *   SendMessageBatch (shards enqueued and handed back, objects re-announced);
 * - the event source, Lambda's stand-in that polls the queues: ReceiveMessage,
 *   DeleteMessageBatch, ChangeMessageVisibilityBatch. Its SendMessageBatch is
 *   the S3-notification stand-in (S3's own delivery, not a client call) and
 *   goes through untouched, as do the runner's queue-depth reads.
 *
 * The errors are SQS's own (AWS JSON protocol, `__type` names the error):
 * RequestThrottled (400; the API reference lists it for SendMessage,
 * ReceiveMessage and DeleteMessage, and the AWS SDK retries it as a
 * throttle), InternalFailure (500) and ServiceUnavailable (503) from the
 * common errors, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html;
 * and the batch calls' per-entry failures (HTTP 200 with the entry under
 * `Failed`, SenderFault false), https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html.
 */
import type { IncomingMessage } from 'node:http';
import type { ProxyFault, ProxyRewrite } from './fault-proxy.ts';

export type SqsCaller = 'handlers' | 'event source';

const OPS: Record<SqsCaller, readonly string[]> = {
  handlers: ['SendMessageBatch', 'SendMessage'],
  'event source': ['ReceiveMessage', 'DeleteMessageBatch', 'ChangeMessageVisibilityBatch'],
};

/** Batch calls whose entries can fail one by one. */
const BATCH_OPS = new Set(['SendMessageBatch', 'DeleteMessageBatch']);

/** The call of each op, counted from 1, that fails on every attempt the SDK makes, so the caller sees the error. */
const EXHAUSTED_AT: Record<string, number> = { SendMessageBatch: 3, ReceiveMessage: 2, DeleteMessageBatch: 3 };

const json = (type: string, message: string) => JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message });

function callFault(op: string, pick: number): ProxyFault {
  const [status, type, message] =
    pick < 0.5
      ? ([400, 'RequestThrottled', 'Request is throttled.'] as const)
      : pick < 0.75
        ? ([500, 'InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.'] as const)
        : ([503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'] as const);
  return { kind: `sqs ${op} ${status} ${type}`, status, contentType: 'application/x-amz-json-1.0', body: json(type, message) };
}

/** One entry of the batch (the `pick`-th share) refused with a server-side InternalError; the rest go through. */
function entryFault(op: string, pick: number): ProxyRewrite {
  return {
    kind: `sqs ${op} one entry Failed (InternalError)`,
    rewrite(body) {
      const req = JSON.parse(body) as { Entries?: { Id: string }[] };
      const entries = req.Entries ?? [];
      const i = Math.min(entries.length - 1, Math.floor(pick * entries.length));
      const failed = { Id: entries[i]?.Id ?? '0', SenderFault: false, Code: 'InternalError', Message: 'We encountered an internal error. Please try again.' };
      const rest = entries.filter((_, j) => j !== i);
      return {
        // A batch of one is answered here: SQS refuses an empty batch.
        forward: rest.length === 0 ? null : JSON.stringify({ ...req, Entries: rest }),
        answer(upstream) {
          const res = (upstream ? JSON.parse(upstream) : {}) as { Successful?: unknown[]; Failed?: unknown[] };
          return JSON.stringify({ ...res, Successful: res.Successful ?? [], Failed: [...(res.Failed ?? []), failed] });
        },
      };
    },
  };
}

/**
 * Faults for one caller's SQS calls. Each attempt draws: `rate` of them fail
 * whole (throttled or a server error; the SDK retries those), and `rate` of
 * the batch calls lose one entry (the caller must resend or live with it).
 * Whatever the draws, each op's first call fails whole and its second batch
 * call loses an entry, and one call of each of SendMessageBatch,
 * ReceiveMessage and DeleteMessageBatch fails on every SDK attempt
 * (recognised by its amz-sdk-invocation-id), so the caller's own handling runs.
 */
export function sqsFaults(rate: number, random: () => number, caller: SqsCaller): (req: IncomingMessage) => ProxyFault | ProxyRewrite | null {
  const ops = new Set(OPS[caller]);
  const calls: Record<string, number> = {};
  const doomed = new Set<string>();
  return (req) => {
    const op = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
    if (!ops.has(op)) return null;
    const invocation = String(req.headers['amz-sdk-invocation-id'] ?? '');
    if (invocation && doomed.has(invocation)) return callFault(op, random());
    const firstAttempt = !/attempt=([2-9]|\d\d)/.test(String(req.headers['amz-sdk-request'] ?? ''));
    const n = firstAttempt ? (calls[op] = (calls[op] ?? 0) + 1) : 0;
    if (n > 0 && n === EXHAUSTED_AT[op] && invocation) {
      doomed.add(invocation);
      return { ...callFault(op, random()), kind: `sqs ${op}: a call failed on every SDK attempt` };
    }
    if (n === 1 || random() < rate) return callFault(op, random());
    if (BATCH_OPS.has(op) && (n === 2 || random() < rate)) return entryFault(op, random());
    return null;
  };
}
