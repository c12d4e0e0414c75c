/**
 * Which service a failed request went to, and its host (never a path, key or
 * query string). Attached to the error a source's HTTP client throws, so the
 * command line can say "the Gamma market list at gamma-api.polymarket.com
 * refused the connection" instead of "fetch failed". The error keeps its
 * class: retries and classifiers that look at it are unaffected.
 */
export type SourceService = 'clob-markets' | 'gamma-markets' | 'subgraph' | 'polygon-rpc';

export interface SourceIdentity {
  service: SourceService;
  host: string;
}

const IDENTITY = Symbol.for('polymarket-sync.source-identity');

/** The host of a URL (`name:port`), or '' when it is not one. */
export function hostOf(url: string | URL): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** Marks an error with the service it came from; the first mark wins (the innermost request knows best). */
export function tagSource<E>(err: E, identity: SourceIdentity): E {
  if (err !== null && typeof err === 'object' && !(IDENTITY in err) && Object.isExtensible(err)) {
    Object.defineProperty(err, IDENTITY, { value: { ...identity }, enumerable: false });
  }
  return err;
}

/** The mark on an error or anything in its `cause` chain. */
export function sourceIdentityOf(err: unknown): SourceIdentity | undefined {
  const seen = new Set<unknown>();
  for (let e = err; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const mark = (e as Record<symbol, unknown>)[IDENTITY];
    if (mark) return mark as SourceIdentity;
  }
  return undefined;
}
