import { QUEUE_ROLES, type DeadLetterQueues, type QueueRole, type RedriveResult } from '#shared/ports/ops.ts';

export interface RedriveReport {
  before: Record<QueueRole, number>;
  results: RedriveResult[];
}

/**
 * Sends dead letters back to the queue they came from, once the cause is
 * fixed. Safe to repeat: the fetcher resumes a shard from its recorded
 * cursor and the loader skips or deduplicates an object it already loaded.
 */
export async function redrive(dlqs: DeadLetterQueues, which: QueueRole | 'all' = 'all'): Promise<RedriveReport> {
  const roles = which === 'all' ? QUEUE_ROLES : [which];
  const before = { shards: 0, loads: 0 } as Record<QueueRole, number>;
  const results: RedriveResult[] = [];
  for (const role of roles) {
    before[role] = await dlqs.depth(role);
    results.push(before[role] === 0 ? { role, moved: 0, method: 'none' } : await dlqs.moveBack(role));
  }
  return { before, results };
}

export function formatRedrive(r: RedriveReport): string {
  return r.results
    .map((x) =>
      x.method === 'none'
        ? `${x.role}: dead-letter queue is empty`
        : x.method === 'move-task'
          ? `${x.role}: SQS move task started for ${x.moved} message(s) (task ${x.taskHandle ?? '?'})`
          : `${x.role}: moved ${x.moved} message(s) back to the ${x.role} queue`,
    )
    .join('\n');
}
