import { describe, expect, it } from 'vitest';
import { pbkdf2 as pbkdf2Callback } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { zstdDecompressSync } from 'node:zlib';
import { encodeStagedV2, pageText, StagedObjectBuilderV2 } from '#shared/staging/format-v2.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import { sampleFill } from '#test/support/fills.ts';

/**
 * A fetcher that stages an object again (a redelivered shard message, two
 * fetchers on one shard after a redrive) must produce the same bytes: the
 * loader's deduplication token holds the object's ETag, so other bytes for the
 * same rows would load them twice. The loaded, loaded-again case under load is
 * what test/faults/dlq-and-ops.test.ts met; these cases pin the cause.
 */
const pbkdf2 = promisify(pbkdf2Callback);
const fill = (i: number): StagedRecord => ({ table: 'fills', row: sampleFill(i) });
const records = (n: number): StagedRecord[] => [
  ...Array.from({ length: n }, (_, i) => fill(i)),
  { table: 'rejects', row: { source: 'subgraph', reason: 'bad amount', raw: '{"x":1}' } },
];

/** Builds from `pages`, yielding to the event loop after the pages listed in `pauseAfter` (the compressor's work then interleaves differently). */
async function build(pages: StagedRecord[][], pauseAfter: (i: number) => boolean = () => false): Promise<Buffer> {
  const builder = new StagedObjectBuilderV2();
  for (const [i, page] of pages.entries()) {
    builder.add(page);
    if (pauseAfter(i)) await nextTurn();
  }
  return builder.finish();
}

const split = (recs: StagedRecord[], size: number): StagedRecord[][] =>
  Array.from({ length: Math.ceil(recs.length / size) }, (_, i) => recs.slice(i * size, (i + 1) * size));

describe('a format-2 object built page by page', () => {
  it('has the same bytes for the same pages, whenever the compressor runs', async () => {
    const pages = split(records(300), 60);
    const reference = await build(pages);
    // Each timing five times over, side by side, and again while other work holds the threads that
    // compress: before the fix, some of these builds came out other than the rest.
    const timings = () => [
      build(pages),
      build(pages, () => true),
      build(pages, (i) => i === pages.length - 1),
      build(pages, (i) => i % 2 === 0),
      build([[], ...pages, []], () => true),
    ];
    const variants = await Promise.all(Array.from({ length: 5 }, timings).flat());
    const busy = Array.from({ length: 8 }, () => pbkdf2(Buffer.from('x'), 'salt', 20_000, 32, 'sha256'));
    variants.push(...(await Promise.all(timings())));
    await Promise.all(busy);
    for (const bytes of variants) expect(bytes.equals(reference)).toBe(true);
  });

  it('keeps its bytes across the compressor pieces of a large object, built side by side with others', async () => {
    const pages = split(records(8_000), 1_000);
    // Several 1 MiB pieces, so the pieces' edges fall inside pages.
    expect(zstdDecompressSync(await build(pages)).length).toBeGreaterThan(3 * (1 << 20));
    const [a, b, c] = await Promise.all([build(pages), build(pages, (i) => i % 2 === 0), build(pages, () => true)]);
    expect(b!.equals(a!)).toBe(true);
    expect(c!.equals(a!)).toBe(true);
  });

  it('holds the header and the text of each page in order, and other bytes when a row differs', async () => {
    const recs = records(120);
    const pages = split(recs, 50);
    const bytes = await build(pages);
    expect(zstdDecompressSync(bytes).toString()).toBe(`#polymarket-sync staged 2\n${pages.map((p) => pageText(p)).join('')}`);
    expect(zstdDecompressSync(await build([recs])).toString()).toBe(zstdDecompressSync(encodeStagedV2(recs)).toString());
    const changed = [...recs.slice(0, -2), fill(10_000), recs.at(-1)!];
    expect((await build(split(changed, 50))).equals(bytes)).toBe(false);
  });

  it('is the header alone when no page had rows', async () => {
    expect(zstdDecompressSync(await build([[], []])).toString()).toBe('#polymarket-sync staged 2\n');
  });
});
