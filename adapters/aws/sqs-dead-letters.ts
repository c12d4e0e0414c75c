import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, StartMessageMoveTaskCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sendBodies } from './sqs-queues.ts';
import type { DeadLetterQueues, QueueRole, RedriveResult } from '#shared/ports/ops.ts';

export interface QueuePair {
  queueUrl: string;
  dlqUrl: string;
}

export interface SqsDeadLetterOptions {
  /**
   * 'move-task': SQS StartMessageMoveTask (AWS); 'copy': receive, send back,
   * delete (emulators without move tasks); 'auto': the move task, falling back
   * to copying when the endpoint does not support it.
   */
  method?: 'auto' | 'move-task' | 'copy';
}

/** The pipeline's DLQs on SQS (AWS or fauxqs). */
export class SqsDeadLetterQueues implements DeadLetterQueues {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: Record<QueueRole, QueuePair>,
    private readonly opts: SqsDeadLetterOptions = {},
  ) {}

  async depth(role: QueueRole): Promise<number> {
    return queueDepth(this.sqs, this.queues[role].dlqUrl);
  }

  async moveBack(role: QueueRole): Promise<RedriveResult> {
    const method = this.opts.method ?? 'auto';
    if (method !== 'copy') {
      try {
        return await this.moveTask(role);
      } catch (err) {
        if (method === 'move-task' || !isUnsupported(err)) throw err;
      }
    }
    return { role, method: 'copy', moved: await this.copy(role) };
  }

  private async moveTask(role: QueueRole): Promise<RedriveResult> {
    const { dlqUrl, queueUrl } = this.queues[role];
    const arn = async (url: string) =>
      (await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    const [sourceArn, destinationArn] = [await arn(dlqUrl), await arn(queueUrl)];
    if (!sourceArn || !destinationArn) throw new Error(`cannot read the queue ARNs of ${role}`);
    const moved = await this.depth(role);
    const res = await this.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }));
    return { role, method: 'move-task', moved, taskHandle: res.TaskHandle };
  }

  /** At least once: a message is sent back before it is deleted from the DLQ (a copy sent twice is harmless). */
  private async copy(role: QueueRole): Promise<number> {
    const { dlqUrl, queueUrl } = this.queues[role];
    let moved = 0;
    for (let empty = 0; empty < 2;) {
      const res = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 120 }));
      const messages = res.Messages ?? [];
      if (messages.length === 0) {
        empty++;
        continue;
      }
      empty = 0;
      await sendBodies(
        this.sqs,
        queueUrl,
        messages.map((m) => m.Body ?? ''),
      );
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
      moved += messages.length;
    }
    return moved;
  }
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(res.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

function isUnsupported(err: unknown): boolean {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const text = `${e.name ?? ''} ${e.message ?? ''}`;
  return /Unsupported|InvalidAction|not (implemented|supported)|UnknownOperation|Unknown action/i.test(text) || e.$metadata?.httpStatusCode === 501;
}
