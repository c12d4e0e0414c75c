import type { Source, SourceBatch } from './source.ts';

/**
 * Up to `maxPages` pages of a shard from `cursor`: the source's own batch
 * read where it has one, else its pages one after another. Stops early at
 * the end of the shard.
 */
export async function fetchBatch<Spec, Cursor>(
  source: Source<Spec, Cursor>,
  spec: Spec,
  cursor: Cursor | null,
  maxPages: number,
  signal?: AbortSignal,
): Promise<SourceBatch<Cursor>> {
  if (!Number.isInteger(maxPages) || maxPages < 1) throw new Error(`fetchBatch: maxPages must be a positive integer, got ${maxPages}`);
  if (source.fetchBatch) return source.fetchBatch(spec, cursor, maxPages, signal);
  const batch: SourceBatch<Cursor> = { records: [], next: cursor, pages: 0 };
  do {
    const page = await source.fetchPage(spec, batch.next, signal);
    for (const r of page.records) batch.records.push(r);
    batch.next = page.next;
    batch.pages++;
  } while (batch.next !== null && batch.pages < maxPages);
  return batch;
}
