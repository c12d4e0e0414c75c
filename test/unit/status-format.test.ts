import { describe, expect, it } from 'vitest';
import { collectStatus, formatStatus, type SyncStatus } from '#shared/ops/status.ts';
import type { StateStore } from '#shared/ports/state.ts';

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

describe('status: a head it did not ask for', () => {
  // Only what collectStatus reads of the state when no run is open.
  const state = {
    getWatermarks: async () => ({ chain: { value: '33605572', runId: 'r', updatedAt: 1 } }),
    getLoadHeartbeat: async () => null,
    getOpenRunId: async () => null,
  } as unknown as StateStore;

  it('says why instead of "head unknown" (offline, or the simulated sources not running)', async () => {
    const status = await collectStatus({ state, sources: ['chain', 'markets'], headsNotAsked: '--no-heads' });
    expect(status.sources.find((s) => s.source === 'chain')?.headNotAsked).toBe('--no-heads');
    // A source refreshed whole has no head to ask for.
    expect(status.sources.find((s) => s.source === 'markets')?.headNotAsked).toBeUndefined();
    const text = formatStatus(status);
    expect(text).toContain('chain     watermark 33605572; head not asked: --no-heads');
    expect(text).toContain('markets   watermark none; refreshed whole every run');
  });

  it('a head that could not be read still says why it is unknown', () => {
    const source = { source: 'chain' as const, watermark: '1', watermarkRunId: null, watermarkUpdatedAt: null, head: null, lag: null, unit: 'blocks' as const };
    expect(formatStatus({ ...base, sources: [{ ...source, headError: 'connection refused' }] })).toContain('head unknown: connection refused');
  });
});
