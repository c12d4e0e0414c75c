import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import fc from 'fast-check';
import { UINT256_MAX, type FillRow } from '#shared/model/fill.ts';
import { checkFillTsvBlock, fillTsv, FillTsvError, FULL_LINE, scannerTakes, tsvColumnSuffix } from '#shared/staging/fill-tsv.ts';
import { encodeStagedV2, readStagedV2, type StagedItem } from '#shared/staging/format-v2.ts';
import { StagedFormatError } from '#shared/staging/codec.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import { fillJsonProblem, fillJson } from '#shared/staging/fill-line.ts';
import { sampleFill } from '#test/support/fills.ts';

const check = (rows: FillRow[]) => checkFillTsvBlock(Buffer.from(rows.map(fillTsv).join(''), 'utf8'), tsvColumnSuffix('k'), 1_000, new Set(), []);
const MAX = UINT256_MAX.toString();

describe('format 2 fill lines', () => {
  it('take the uint256 values format 1 takes, and refuse the ones it refuses, at every edge of the maximum', () => {
    const values = [
      MAX,
      (UINT256_MAX - 1n).toString(),
      (UINT256_MAX + 1n).toString(),
      '1' + '0'.repeat(77),
      '1149' + '9'.repeat(74),
      '1157' + '0'.repeat(74),
      '1158' + '0'.repeat(74),
      '12' + '0'.repeat(76),
      '9'.repeat(77),
      '9'.repeat(78),
      '1'.repeat(79),
      '0',
      '00',
      '01',
    ];
    for (const v of values) {
      for (const field of ['token_id', 'fee', 'maker_asset_id'] as const) {
        const row = { ...sampleFill(1), [field]: v };
        const v1 = fillJsonProblem(fillJson(row)) === null;
        let v2 = true;
        try {
          check([row]);
        } catch (err) {
          expect(err).toBeInstanceOf(FillTsvError);
          v2 = false;
        }
        expect(v2, `${field} = ${v}`).toBe(v1);
      }
    }
  });

  it('carry a fill id with tabs, line feeds, backslashes and control characters through escapes, and add the suffix to every line', () => {
    const rows = [sampleFill(1), { ...sampleFill(2), fill_id: 'a\tb\nc\\d\u0001e é' }];
    const out = check(rows);
    expect(out.rows).toBe(2);
    expect(out.body.toString('utf8').split('\n')[1]).toMatch(/^a\\tb\\nc\\\\d\\x01e é\t/);
    expect(out.body.toString('utf8').endsWith('\tk\n')).toBe(true);
    expect(out.newest).toBe(1_700_000_002);
  });

  it('are taken by the byte scanner exactly when the pattern takes them (a fill id with an escape always goes to the pattern)', () => {
    const MAX = UINT256_MAX.toString();
    const tricky = [
      '',
      '0',
      '00',
      '01',
      '+1',
      '-1',
      '1.5',
      '1e-7',
      '0.',
      '.5',
      'e-1',
      '1e-1234',
      '1.123456789012345678901',
      MAX,
      `${MAX.slice(0, -1)}6`,
      '1'.repeat(79),
    ];
    const field = fc.oneof(
      fc.constantFrom(
        ...tricky,
        'BUY',
        'SELL',
        'buy',
        'subgraph',
        'chain',
        'Chain',
        `0x${'a'.repeat(40)}`,
        `0x${'A'.repeat(40)}`,
        `0x${'f'.repeat(64)}`,
        `0x${'g'.repeat(64)}`,
      ),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefx.-e+\\\t é\u0001'.split('')), maxLength: 90 }),
    );
    const fillId = fc.oneof(
      fc.constant('x'.repeat(300)),
      fc.constant('x'.repeat(301)),
      fc.string({ unit: fc.constantFrom(...'ab_\\\u0001\u007fé'.split('')), maxLength: 12 }),
    );
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(20), value: field }),
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat(20) }),
      fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(20) }),
      fc.record({ kind: fc.constant('id' as const), value: fillId }),
      fc.record({ kind: fc.constant('none' as const) }),
    );
    fc.assert(
      fc.property(fc.nat(1_000), fc.integer({ min: 0, max: 5 }), fc.array(mutation, { maxLength: 3 }), (i, shape, mutations) => {
        const base = {
          ...sampleFill(i),
          ...[
            {},
            { exchange: `0x${'c'.repeat(40)}`, source: 'chain' as const },
            { token_id: MAX },
            { price: 1e-7 },
            { side: 'SELL' as const },
            { fee: '1' + '0'.repeat(77) },
          ][shape],
        };
        const fields = fillTsv(base).slice(0, -1).split('\t');
        for (const m of mutations) {
          if (m.kind === 'replace') fields[m.at % fields.length] = m.value;
          else if (m.kind === 'drop') fields.splice(m.at % fields.length, 1);
          else if (m.kind === 'repeat') fields.splice(m.at % fields.length, 0, fields[m.at % fields.length]!);
          else if (m.kind === 'id') fields[0] = m.value;
        }
        const line = Buffer.from(`${fields.join('\t')}\n`, 'utf8');
        FULL_LINE.lastIndex = 0;
        const pattern = FULL_LINE.test(line.toString('latin1')) && FULL_LINE.lastIndex === line.length;
        const scanner = scannerTakes(line);
        if (line.subarray(0, line.indexOf(9)).includes(92)) expect(scanner).toBe(false);
        else expect(scanner, JSON.stringify(fields)).toBe(pattern);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('reading a format 2 object', () => {
  const object = (n: number, bad?: number): { bytes: Buffer; fills: FillRow[] } => {
    const fills = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? { ...sampleFill(i), fill_id: `id\\t${i}\tx` } : sampleFill(i)));
    const recs: StagedRecord[] = fills.map((row) => ({ table: 'fills', row }));
    // Records between the fills, so sections change inside the object.
    recs.splice(Math.floor(n / 3), 0, { table: 'rejects', row: { source: 'subgraph', reason: 'r', raw: 'x' } });
    let bytes = encodeStagedV2(recs);
    if (bad !== undefined) {
      const text = zstdDecompressSync(bytes).toString('utf8').split('\n');
      text[bad] = text[bad]!.replace('\tBUY\t', '\tBUY \t');
      bytes = Buffer.from(zstdCompressSync(Buffer.from(text.join('\n'), 'utf8')));
    }
    return { bytes, fills };
  };
  const read = async (bytes: Buffer, chunk: number) => {
    const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk));
    const items: StagedItem[] = [];
    for await (const item of readStagedV2(Readable.from(chunks), { fillSuffix: tsvColumnSuffix('k'), cutEvery: 1_000, v1ChainTransactions: new Set() }))
      items.push(item);
    return items;
  };

  it('gives back every line once, whole, with lines cut across the decompressed chunks', async () => {
    // Over 256 KiB of text: several chunks out of the decompressor, and lines cut at their ends.
    const { bytes, fills } = object(3_000);
    for (const chunk of [bytes.length, 4_096, 7]) {
      const items = await read(bytes, chunk);
      const body = Buffer.concat(items.flatMap((x) => (x.kind === 'fills' ? [x.body] : []))).toString('utf8');
      expect(body).toBe(fills.map((f) => fillTsv(f).slice(0, -1) + '\tk\n').join(''));
      expect(items.filter((x) => x.kind === 'fills').every((x) => x.rows <= 1_000)).toBe(true);
      expect(items.filter((x) => x.kind === 'record').map((x) => x.table)).toEqual(['rejects']);
    }
  });

  it('names the bad line by its number wherever it falls', async () => {
    for (const bad of [2, 1_500, 2_900]) {
      const { bytes } = object(3_000, bad);
      const err = await read(bytes, 4_096).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StagedFormatError);
      expect((err as Error).message).toMatch(new RegExp(`^line ${bad + 1} \\(fills\\): not a canonical fill row`));
    }
  });
});
