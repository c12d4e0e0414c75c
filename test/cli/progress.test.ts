import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COUNTER_NAMES, type CounterSnapshot } from '#shared/telemetry/counters.ts';
import { progressReporter } from '#local/cli/progress.ts';

const counters = (loaded: number): CounterSnapshot =>
  ({ ...Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])), FillsLoaded: loaded, SourceRequests: 3 }) as CounterSnapshot;
const progress = (loaded: number) => ({ runId: 'r', estimatedRows: 1_000, shards: 4, shardsDone: loaded > 0 ? 1 : 0, counters: counters(loaded) });
// Escape sequences out: what a person reads on the terminal.
const plain = (written: string[]) => stripVTControlCharacters(written.join(''));

const wasTTY = process.stderr.isTTY;
afterEach(() => {
  vi.restoreAllMocks();
  process.stderr.isTTY = wasTTY;
});

describe('the progress bar on a terminal', () => {
  it('fills every field from its first frame: no template token, no INF', () => {
    const written: string[] = [];
    process.stderr.isTTY = true;
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const reporter = progressReporter();
    reporter.update(progress(0));
    const first = plain(written);
    reporter.update(progress(250));
    reporter.stop();
    const all = plain(written);
    expect(first).toContain('0/1000');
    expect(first).toContain('0 rows/s | ETA -- | shards 0/4 | requests 3');
    expect(all).toContain('250/1000');
    expect(all).not.toMatch(/\{\w+\}/);
    expect(all).not.toContain('INF');
  });

  it('ends full at what was loaded when the run completes, and where it stood when it did not', () => {
    process.stderr.isTTY = true;
    const frames = (complete: boolean) => {
      const written: string[] = [];
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      const reporter = progressReporter();
      reporter.update(progress(800));
      reporter.stop({ complete });
      vi.restoreAllMocks();
      return plain(written);
    };
    // The estimate (1,000) also counted logs that are neither fills nor activity.
    const done = frames(true);
    expect(done).toContain('100% | 800/800');
    const cut = frames(false);
    expect(cut).toContain('80% | 800/1000');
    expect(cut).not.toContain('800/800');
  });
});

describe('progress lines without a terminal', () => {
  it('end on a line that says what was loaded, against the estimate only while the run is unfinished', () => {
    process.stderr.isTTY = false;
    const lines = (complete: boolean) => {
      const printed: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((line: string) => void printed.push(line));
      const reporter = progressReporter();
      reporter.update(progress(800));
      reporter.stop({ complete });
      vi.restoreAllMocks();
      return printed;
    };
    expect(lines(true).at(-1)).toBe('progress: 800/800 fills and events loaded, shards 1/4, requests 3');
    expect(lines(false).at(-1)).toBe('progress: 800/1,000 fills and events loaded, shards 1/4, requests 3');
  });
});
