import type { AnySource, SourceName } from '#shared/sources/source.ts';
import type { SourceRegistry } from '#shared/sources/registry.ts';
import { tagSource, type SourceService } from '#shared/sources/source-error.ts';
import { errorFacts } from '#shared/ops/error-facts.ts';

/** The service each source's own requests go to, when its client did not mark the error itself. */
const DEFAULT_SERVICE: Partial<Record<SourceName, SourceService>> = { chain: 'polygon-rpc', subgraph: 'subgraph' };

/**
 * The sources as the local handlers get them, each call's error marked with
 * its source and kept: the planner handler rethrows a failure as a bare
 * message (the Lambda runtime would print a wrapped one whole, keys and
 * all), and the command line needs the original to say which service failed
 * and why. The errors themselves pass through unchanged.
 */
export function watchSources(sources: SourceRegistry): { sources: SourceRegistry; lastError(): unknown } {
  let last: unknown;
  const remember = (name: SourceName, err: unknown): unknown => {
    const service = DEFAULT_SERVICE[name];
    if (service) tagSource(err, { service, host: errorFacts(err).hosts[0] ?? '' });
    last = err;
    return err;
  };
  const watched: SourceRegistry = {};
  for (const [name, source] of Object.entries(sources) as [SourceName, AnySource][]) {
    // Everything else (schemas, name) through the prototype: a source may be a class instance.
    watched[name] = Object.assign(Object.create(source) as AnySource, {
      plan: (input) => source.plan(input).catch((err: unknown) => Promise.reject(remember(name, err) as Error)),
      fetchPage: (spec, cursor, signal) => source.fetchPage(spec, cursor, signal).catch((err: unknown) => Promise.reject(remember(name, err) as Error)),
      fetchBatch: source.fetchBatch
        ? (spec, cursor, maxPages, signal) =>
            (source.fetchBatch as NonNullable<AnySource['fetchBatch']>)
              .call(source, spec, cursor, maxPages, signal)
              .catch((err: unknown) => Promise.reject(remember(name, err) as Error))
        : undefined,
    } satisfies Pick<AnySource, 'plan' | 'fetchPage' | 'fetchBatch'>);
  }
  return { sources: watched, lastError: () => last };
}
