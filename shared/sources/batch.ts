import type { StagedRecord } from '#shared/model/staged.ts';
import type { Source, SourceBatch, StopEarly } from './source.ts';

/**
 * Reads up to `maxPages` pages of a shard from `cursor`, handing each page's
 * records to `take` as they arrive (the fetcher streams them into its staged
 * object, so a page-by-page source never holds more than one page), or the
 * source's own batch at once where it reads one (the chain). Stops early at the
 * end of the shard, or after a page when `stopEarly` resolves true. Returns
 * where the next read starts and the pages read.
 */
export async function readPages<Spec, Cursor>(
  source: Source<Spec, Cursor>,
  spec: Spec,
  cursor: Cursor | null,
  maxPages: number,
  take: (records: StagedRecord[]) => void,
  signal?: AbortSignal,
  stopEarly?: StopEarly,
): Promise<{ next: Cursor | null; pages: number }> {
  if (!Number.isInteger(maxPages) || maxPages < 1) throw new Error(`readPages: maxPages must be a positive integer, got ${maxPages}`);
  if (source.fetchBatch) {
    const batch = await source.fetchBatch(spec, cursor, maxPages, signal, stopEarly);
    take(batch.records);
    return { next: batch.next, pages: batch.pages };
  }
  let next = cursor;
  let pages = 0;
  do {
    const page = await source.fetchPage(spec, next, signal);
    take(page.records);
    next = page.next;
    pages++;
  } while (next !== null && pages < maxPages && !(await stopEarly?.()));
  return { next, pages };
}

/** `readPages` with the records gathered: for callers that want the batch whole. */
export async function fetchBatch<Spec, Cursor>(
  source: Source<Spec, Cursor>,
  spec: Spec,
  cursor: Cursor | null,
  maxPages: number,
  signal?: AbortSignal,
): Promise<SourceBatch<Cursor>> {
  const records: StagedRecord[] = [];
  const read = await readPages(
    source,
    spec,
    cursor,
    maxPages,
    (page) => {
      for (const r of page) records.push(r);
    },
    signal,
  );
  return { records, ...read };
}
