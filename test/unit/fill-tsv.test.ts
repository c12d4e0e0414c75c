import { describe, expect, it } from 'vitest';
import { UINT256_MAX, type FillRow } from '#shared/model/fill.ts';
import { checkFillTsvBlock, fillTsv, FillTsvError, tsvColumnSuffix } from '#shared/staging/fill-tsv.ts';
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
});
