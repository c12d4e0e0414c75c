import { Readable } from 'node:stream';
import { ZSTD_MAGIC } from './format-v2.ts';

/** `v1`: gzip JSON lines (codec.ts). `v2`: zstd, fills as TSV (format-v2.ts). */
export type StagedFormat = 'v1' | 'v2';

/**
 * Tells a staged object's format by its first bytes, without consuming them:
 * format 2 is a zstd frame (magic 28 B5 2F FD), anything else is read as
 * format 1 (gzip, magic 1F 8B), whose reader refuses what is not gzip.
 * Objects staged before format 2 existed keep loading as they are.
 */
export async function sniffStagedFormat(body: Readable): Promise<{ format: StagedFormat; body: Readable }> {
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < ZSTD_MAGIC.length) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    length += chunk.length;
  }
  const first = Buffer.concat(head);
  const format: StagedFormat = first.subarray(0, ZSTD_MAGIC.length).equals(ZSTD_MAGIC) ? 'v2' : 'v1';
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    if (done) return;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const again = Readable.from(rest(), { objectMode: false });
  again.once('close', () => {
    if (!body.destroyed) body.destroy();
  });
  return { format, body: again };
}
