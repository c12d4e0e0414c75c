import { describe, expect, it } from 'vitest';
import { formatStatus, type SyncStatus } from '#shared/ops/status.ts';

const base: SyncStatus = {
  at: 1_800_000_000_000,
  sources: [],
  lastLoadAt: null,
  newestFill: {},
  openRun: null,
  deadLetters: { shards: 0, loads: 0 },
  rejects: null,
};
const rejects = (runId: string | null, total: number): SyncStatus['rejects'] => ({
  runId,
  total,
  rows: total ? [{ source: 'chain', reason: 'bad', count: total }] : [],
});

describe('status: which run the rejects line counts', () => {
  it('says whether the run is the open one or the newest that loaded rows (an incremental run that found nothing writes none)', () => {
    expect(formatStatus({ ...base, rejects: rejects('20261202T000000Z-aaaaaa', 3) })).toContain(
      'rejects in the newest run that loaded rows, 20261202T000000Z-aaaaaa: 3',
    );
    expect(formatStatus({ ...base, rejects: rejects(null, 0) })).toContain('rejects in any run (none has loaded rows yet): 0');
    const open = {
      runId: '20261202T060000Z-bbbbbb',
      status: 'enqueued',
      createdAt: base.at,
      shards: 2,
      shardsDone: 1,
      shardsPending: 1,
      shardsInFlight: 0,
      objectsStaged: 1,
      objectsLoaded: 1,
      rowsStaged: 10,
    };
    expect(formatStatus({ ...base, openRun: open, rejects: rejects(open.runId, 0) })).toContain('rejects in the open run 20261202T060000Z-bbbbbb: 0');
  });
});
