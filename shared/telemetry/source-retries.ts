import type { SourceIdentity } from '#shared/sources/source-error.ts';

/**
 * A source request about to be tried again, as it happens. The retry policy
 * spends about a minute on a source that refuses every attempt before the
 * command fails; a person watching a local run is told at once instead of
 * waiting in silence (local/cli/retry-notices.ts). Process-wide, like the
 * counters: the handlers run in the same process as the command.
 */
export interface SourceRetry {
  /** The service and host the request went to. */
  source: SourceIdentity;
  /** Why the last attempt failed. */
  error: unknown;
  /** Which retry this is (1 for the second attempt) and how many the policy allows. */
  retry: number;
  maxRetries: number;
}

type Listener = (retry: SourceRetry) => void;
const listeners = new Set<Listener>();

/** Calls `listener` on every source retry until the returned function is called. */
export function onSourceRetry(listener: Listener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

export function noteSourceRetry(retry: SourceRetry): void {
  for (const listener of listeners) listener(retry);
}
