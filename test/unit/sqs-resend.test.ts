import type { SendMessageBatchCommand, SendMessageBatchCommandOutput, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { sendBodies } from '#adapters/aws/sqs-queues.ts';
import { retryPolicy } from '#shared/retry.ts';

/** No waiting between resends: the test is about which entries go out, not when. */
const quick = retryPolicy({ maxRetries: 3, baseDelayMs: 0, maxDelayMs: 0 });

/** A refused entry, named by its body. */
type Failure = { body: string; Code: string; Message: string; SenderFault: boolean };

/** An SQS client that refuses the entries `failures` names, call by call; records the bodies each call carried. */
function fakeSqs(failures: (batch: string[]) => Failure[]) {
  const calls: string[][] = [];
  const client = {
    send: async (command: SendMessageBatchCommand): Promise<Partial<SendMessageBatchCommandOutput>> => {
      const entries = command.input.Entries ?? [];
      const bodies = entries.map((e) => e.MessageBody as string);
      calls.push(bodies);
      const failed = failures(bodies).map(({ body, ...f }) => ({ ...f, Id: entries[bodies.indexOf(body)]?.Id }));
      return { Successful: [], Failed: failed };
    },
  };
  return { calls, sqs: client as unknown as SQSClient };
}

const throttled = (body: string): Failure => ({ body, Code: 'ThrottlingException', Message: 'slow down', SenderFault: false });

describe('sendBodies', () => {
  it('sends batches of ten and resends only the refused entries', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => `m${i}`);
    let refusals = 1;
    const { calls, sqs } = fakeSqs((batch) => (batch.length === 10 && refusals-- > 0 ? [throttled('m3'), throttled('m7')] : []));
    await sendBodies(sqs, 'http://queue', bodies, quick);
    expect(calls).toEqual([bodies.slice(0, 10), ['m3', 'm7'], ['m10', 'm11']]);
  });

  it('fails naming the queue and the code once the resends run out', async () => {
    const { calls, sqs } = fakeSqs((batch) => batch.filter((b) => b === 'm1').map(throttled));
    await expect(sendBodies(sqs, 'http://queue', ['m0', 'm1'], quick)).rejects.toThrow(
      'SQS refused 1 message(s) to http://queue: ThrottlingException slow down',
    );
    expect(calls).toEqual([['m0', 'm1'], ['m1'], ['m1'], ['m1']]);
  });

  it("does not resend an entry refused for the sender's fault", async () => {
    const { calls, sqs } = fakeSqs((batch) =>
      batch.filter((b) => b === 'big').map((body) => ({ body, Code: 'InvalidParameterValue', Message: 'too long', SenderFault: true })),
    );
    await expect(sendBodies(sqs, 'http://queue', ['ok', 'big'], quick)).rejects.toThrow(/InvalidParameterValue too long/);
    expect(calls).toHaveLength(1);
  });
});
