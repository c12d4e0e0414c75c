/**
 * The fetcher's memory as deployed, in a module of plain numbers so the bench
 * and the tests can read it without loading the CDK.
 *
 * A fetcher's working set is, for each shard of its batch (fetched side by
 * side, QUEUE_SETTINGS.fetcherBatchSize), one page of rows plus the object
 * being built, kept compressed (shared/staging/format-v2.ts) until its
 * PutObject after PAGES_PER_OBJECT pages. It does not grow with the shards, so
 * smoke-size shards that fill at least two objects each peak where full-size
 * ones do (docs/BENCHMARKS.md, "Memory of two shards side by side").
 *
 * test/bench/fetcher-memory.test.ts runs one fetcher invocation (a full
 * batch) per source in a process of its own under `heapMib / headroom`, at
 * the deployed PAGES_PER_OBJECT, and fails unless it finishes there and its
 * peak RSS x headroom fits `memorySizeMb`: lowering a limit or growing the
 * fetcher's working set fails `npm test`, so neither drifts silently from
 * the other.
 */
export const FETCHER_MEMORY = {
  /** Lambda memory size, MB. Chosen for CPU (JSON parsing, validation and gzip are CPU-bound), not for memory; the test keeps it above the peak RSS x HEADROOM. */
  memorySizeMb: 1024,
  /** V8 old-space cap (`--max-old-space-size`, MiB) in the fetcher's NODE_OPTIONS: a leak fails fast at a known size instead of V8 growing into the whole function. */
  heapMib: 256,
  /** Required margin of each limit over the measured peak (peak RSS for memorySizeMb, peak JS heap+external for heapMib). */
  headroom: 2,
} as const;

/** The fetcher's NODE_OPTIONS: source maps, as every function, and its heap cap. */
export const FETCHER_NODE_OPTIONS = `--enable-source-maps --max-old-space-size=${FETCHER_MEMORY.heapMib}`;
