import cliProgress from 'cli-progress';
import type { CycleProgress } from '#local/runner.ts';

/**
 * Rows loaded against the plan's estimate, in the estimate's unit: the chain
 * estimates every log it will read (fills and the splits, merges,
 * redemptions and conversions among them), so the count is fills and
 * activity together. Counting fills alone left the bar at half way on a
 * chain sync that had finished.
 */
function rowsProgress(p: CycleProgress, complete = false): { loaded: number; total: number } {
  const loaded = p.counters.FillsLoaded + p.counters.ActivityLoaded;
  // Once the run is complete, what it loaded is the whole: the estimate also counts logs that are neither fills nor activity.
  return { loaded, total: complete ? loaded : Math.max(p.estimatedRows, loaded, 1) };
}

function progressLine(p: CycleProgress, complete = false): string {
  const { loaded, total } = rowsProgress(p, complete);
  return `progress: ${loaded.toLocaleString('en-US')}/${total.toLocaleString('en-US')} fills and events loaded, shards ${p.shardsDone}/${p.shards}, requests ${p.counters.SourceRequests}`;
}

/** A progress bar on a terminal; elsewhere (CI, a pipe) a line every 5 seconds, and one for where it ended. */
export function progressReporter() {
  const tty = process.stderr.isTTY;
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  let unprinted: CycleProgress | undefined;
  let last: CycleProgress | undefined;
  const started = Date.now();
  return {
    update(p: CycleProgress) {
      unprinted = p;
      last = p;
      const { loaded, total } = rowsProgress(p);
      if (tty) {
        // `left`, not cli-progress's own {eta}: that one is drawn from the bar's value alone and shows INF until rows arrive.
        bar ??= new cliProgress.SingleBar(
          { format: 'fills and events {bar} {percentage}% | {value}/{total} | {speed} rows/s | ETA {left} | shards {shards} | requests {requests}' },
          cliProgress.Presets.shades_classic,
        );
        const rate = loaded / Math.max(1, (Date.now() - started) / 1000);
        const payload = {
          shards: `${p.shardsDone}/${p.shards}`,
          requests: p.counters.SourceRequests,
          speed: Math.round(rate).toLocaleString('en-US'),
          left: rate > 0 ? `${Math.ceil(Math.max(0, total - loaded) / rate)}s` : '--',
        };
        if (!bar.isActive) bar.start(total, 0, payload);
        bar.setTotal(total);
        bar.update(loaded, payload);
      } else if (Date.now() - lastLine > 5_000) {
        lastLine = Date.now();
        unprinted = undefined;
        console.error(progressLine(p));
      }
    },
    /** A line of its own, above the bar on a terminal (the bar draws itself again below it). */
    note(line: string) {
      if (bar?.isActive) process.stderr.write('\r\x1b[2K');
      console.error(line);
    },
    /** Ends the bar; `complete` (the run finished) shows it full, at what was loaded. */
    stop({ complete = false }: { complete?: boolean } = {}) {
      if (complete && last && bar?.isActive) {
        const { loaded } = rowsProgress(last, true);
        bar.setTotal(loaded);
        bar.update(loaded);
      }
      bar?.stop();
      if (!tty && last && (unprinted || complete)) console.error(progressLine(last, complete));
    },
  };
}
