import { onSourceRetry, type SourceRetry } from '#shared/telemetry/source-retries.ts';
import { sourceTrouble } from './diagnosis.ts';

export interface RetryNoticeOptions {
  /** The first retry of one request that is worth a line: a single retry is routine (a 429 on a busy plan). */
  fromRetry?: number;
  /** At most one line per source and cause in this long, however many requests retry. */
  quietMs?: number;
  now?: () => number;
}

/**
 * Tells the person at the terminal that a source is failing while the
 * command still retries it: "the Polygon RPC provider at host: connection
 * refused …; retrying (2 of 8)". A request's last retry is always shown, so
 * the line before a fatal error says how long it was tried.
 */
export function retryNotices(write: (line: string) => void, opts: RetryNoticeOptions = {}): (retry: SourceRetry) => void {
  const fromRetry = opts.fromRetry ?? 2;
  const quietMs = opts.quietMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const lastShown = new Map<string, number>();
  return ({ source, error, retry, maxRetries }) => {
    if (retry < fromRetry) return;
    const trouble = sourceTrouble(source, error);
    const shown = lastShown.get(trouble);
    if (retry < maxRetries && shown !== undefined && now() - shown < quietMs) return;
    lastShown.set(trouble, now());
    write(`waiting on ${trouble}; retrying (${retry} of ${maxRetries})`);
  };
}

/** Writes the notices to stderr while a command runs; call the result to stop. */
export function showSourceRetries(write: (line: string) => void = (line) => console.error(line)): () => void {
  return onSourceRetry(retryNotices(write));
}
