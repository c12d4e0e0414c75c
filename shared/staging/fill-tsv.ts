import { isUtf8 } from 'node:buffer';
import { UINT256_MAX, type FillRow } from '#shared/model/fill.ts';
import { V1_EXCHANGES } from '#shared/sources/chain/events/addresses.ts';
import { FILL_FIELDS } from './fill-line.ts';

/**
 * Fill rows in staged format 2: one line of ClickHouse's TabSeparated format
 * per fill, columns in FILL_FIELDS order, so the loader hands the bytes to
 * the engine as they are (the engine parses TSV far faster than JSON, and
 * the lines carry no key names). Every line is still checked here against
 * one anchored pattern, the same rules as the JSON line's (fill-line.ts):
 * a missing or extra column, "+1", "01", an oversized number or a hash that
 * is not one is refused before it can reach the engine.
 *
 * TabSeparated escaping (https://clickhouse.com/docs/interfaces/formats/TabSeparated):
 * a backslash, tab, line feed and carriage return inside a string are written
 * `\\`, `\t`, `\n`, `\r`; other control characters as `\xHH`, which the engine's
 * escaped-string reader also takes. Only `fill_id` is free text; every other
 * column is a number, a hash, an address or an enum with no character to escape.
 */
export const FILL_TSV_COLUMNS: readonly string[] = FILL_FIELDS;

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
/* eslint-disable no-control-regex -- control characters are exactly what TSV must escape */
const NEEDS_ESCAPE = /[\\\u0000-\u001f]/;
const EVERY_ESCAPE = /[\\\u0000-\u001f]/g;
/* eslint-enable no-control-regex */
const escapeTsv = (s: string) =>
  NEEDS_ESCAPE.test(s) ? s.replace(EVERY_ESCAPE, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : s;

/** The row as one TSV line, newline included. */
export function fillTsv(r: FillRow): string {
  return `${escapeTsv(r.fill_id)}\t${r.source}\t${r.exchange}\t${r.block_number}\t${r.log_index}\t${r.timestamp}\t${r.transaction_hash}\t${r.order_hash}\t${r.maker}\t${r.taker}\t${r.maker_asset_id}\t${r.taker_asset_id}\t${r.maker_amount_filled}\t${r.taker_amount_filled}\t${r.fee}\t${r.token_id}\t${r.side}\t${r.usdc_amount}\t${r.token_amount}\t${JSON.stringify(r.price)}\n`;
}

// The line is matched on its bytes read as latin1 (one character per byte), so a
// multi-byte UTF-8 character counts as its bytes; the block is checked for valid UTF-8 apart.
// Two patterns: a fast one for the plain line (a fill id with nothing escaped), and one
// that also takes escapes, for the rare line the fast one refuses. Neither captures.
const plainStr = '[^\\t\\n\\r\\\\\\u0000-\\u001f]{1,300}';
const str = '(?=[^\\t]{1,300}\\t)(?:[^\\t\\n\\r\\\\\\u0000-\\u001f]|\\\\(?:[\\\\tnr]|x[0-9a-f]{2}))+';
const MAX = UINT256_MAX.toString();
/** Digit strings as long as `d` and not above it: a prefix of `d`, one digit lower, then any digits. */
const notAbove = (d: string) =>
  `(?:${[...d]
    .map((c, i) => (c === '0' ? null : `${d.slice(0, i)}[0-${Number(c) - 1}][0-9]{${d.length - i - 1}}`))
    .filter(Boolean)
    .join('|')}|${d})`;
/** A uint256 without sign or leading zeros: up to 77 digits always fit; 78 only up to the maximum (which starts with 1). */
const uint = `(?:0|[1-9][0-9]{0,76}(?![0-9])|1${notAbove(MAX.slice(1))})`;
/**
 * The plain line's cheap version: the maximum is 115792…, so a 78-digit number starting 10 or 110–114 always
 * fits; one starting 115 (a few in a hundred of the 78-digit ids) goes to the full pattern, which compares exactly.
 */
const plainUint = '(?:0|[1-9][0-9]{0,76}(?![0-9])|10[0-9]{76}|11[0-4][0-9]{75})';
const int = (digits: number) => `(?:0|[1-9][0-9]{0,${digits - 1}})`;
const hash = '0x[0-9a-f]{64}';
const address = '0x[0-9a-f]{40}';
const value = (fillId: string, u: string): Record<(typeof FILL_FIELDS)[number], string> => ({
  fill_id: fillId,
  source: '(?:subgraph|chain)',
  exchange: '(?:0x[0-9a-f]{40})?',
  block_number: int(16),
  log_index: int(10),
  timestamp: int(11),
  transaction_hash: hash,
  order_hash: hash,
  maker: address,
  taker: address,
  maker_asset_id: u,
  taker_asset_id: u,
  maker_amount_filled: u,
  taker_amount_filled: u,
  fee: u,
  token_id: u,
  side: '(?:BUY|SELL)',
  usdc_amount: u,
  token_amount: u,
  price: '(?:0|[1-9][0-9]{0,15})(?:\\.[0-9]{1,20})?(?:e-[0-9]{1,3})?',
});
const linePattern = (v: Record<string, string>) => new RegExp(`${FILL_FIELDS.map((f) => v[f]).join('\\t')}\\n`, 'y');
/** Sticky: each test checks the one line that starts at lastIndex. */
const PLAIN_LINE = linePattern(value(plainStr, plainUint));
const FULL_LINE = linePattern(value(str, uint));
const SEVENTY_EIGHT_DIGITS = /(?<![0-9])[0-9]{78}(?![0-9])/g;
const V1 = new Set(V1_EXCHANGES.map((a) => a.toLowerCase()));
/** No fill line is shorter (two hashes, two addresses and the tabs alone are 186 bytes). */
const MIN_LINE_BYTES = 186;

export class FillTsvError extends Error {
  constructor(
    /** 0-based index of the bad line within the block. */
    readonly lineIndex: number,
    readonly line: string,
    readonly problem: string,
  ) {
    super(problem);
  }
}

/** What a checked block of fill lines holds. */
export interface FillTsvBlock {
  /** The lines, each with `suffix` put before its line feed. */
  body: Buffer;
  rows: number;
  newest: number | null;
  /** Bytes of the block read: up to `maxRows` lines, or up to a line of `stopAt` (a section marker), which is not read. */
  consumed: number;
  stopped: boolean;
}

/**
 * Checks up to `maxRows` lines of `block` (whole lines, each ending in a line
 * feed) and returns them with `suffix` (the tab and value of a column the
 * loader adds) before every line feed. Transactions of fills read from a V1
 * exchange's logs go to `v1ChainTransactions`. Stops before a line equal to
 * one of `stopAt`; throws FillTsvError on the first other line that is not a
 * canonical fill.
 */
export function checkFillTsvBlock(block: Buffer, suffix: Buffer, maxRows: number, v1ChainTransactions: Set<string>, stopAt: readonly string[]): FillTsvBlock {
  const text = block.toString('latin1');
  if (!isUtf8(block)) throw new FillTsvError(0, text.slice(0, 120), 'not valid UTF-8');
  const out = Buffer.allocUnsafe(block.length + suffix.length * Math.min(maxRows, Math.ceil(block.length / MIN_LINE_BYTES)));
  let at = 0;
  let written = 0;
  let rows = 0;
  let newest = -1;
  const done = (stopped: boolean): FillTsvBlock => ({ body: out.subarray(0, written), rows, newest: rows === 0 ? null : newest, consumed: at, stopped });
  while (at < text.length && rows < maxRows) {
    PLAIN_LINE.lastIndex = at;
    let next: number;
    if (PLAIN_LINE.test(text)) next = PLAIN_LINE.lastIndex;
    else {
      const end = text.indexOf('\n', at);
      if (stopAt.includes(text.slice(at, end))) return done(true);
      next = fullLine(text, at, rows);
    }
    // Fields: fill_id, source, exchange, block, log index, timestamp, transaction hash. The fill id holds no raw tab.
    const source = text.indexOf('\t', at) + 1;
    const exchange = text.indexOf('\t', source) + 1;
    const blockNumber = text.indexOf('\t', exchange) + 1;
    const logIndex = text.indexOf('\t', blockNumber) + 1;
    const timestamp = text.indexOf('\t', logIndex) + 1;
    let ts = 0;
    for (let i = timestamp; ; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (!(digit >= 0 && digit <= 9)) break;
      ts = ts * 10 + digit;
    }
    if (ts > newest) newest = ts;
    if (text.charCodeAt(source) === 99 /* c: chain */ && V1.has(text.slice(exchange, blockNumber - 1))) {
      const tx = text.indexOf('\t', timestamp) + 1;
      v1ChainTransactions.add(text.slice(tx, tx + 66));
    }
    written += block.copy(out, written, at, next - 1);
    written += suffix.copy(out, written);
    at = next;
    rows++;
  }
  return done(false);
}

/** The full pattern, for a line the plain one refused: the end of the line, or why it is not a fill. */
function fullLine(text: string, at: number, lineIndex: number): number {
  FULL_LINE.lastIndex = at;
  if (FULL_LINE.test(text)) return FULL_LINE.lastIndex;
  const line = text.slice(at, Math.max(at, text.indexOf('\n', at)));
  const over = line.match(SEVENTY_EIGHT_DIGITS)?.find((n) => n > MAX);
  throw new FillTsvError(
    lineIndex,
    line.slice(0, 120),
    over ? `${over.slice(0, 12)}… exceeds uint256` : 'not a canonical fill row (a column is missing, extra, out of order or malformed)',
  );
}

/** The suffix that adds one string column to every line: a tab and the value, escaped. */
export const tsvColumnSuffix = (value: string): Buffer => Buffer.from(`\t${escapeTsv(value)}\n`, 'utf8');
