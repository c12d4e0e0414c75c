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

// A line is checked on its bytes. The rules are one anchored pattern, FULL_LINE below, matched on the line
// read as latin1 (one character per byte), so a multi-byte UTF-8 character counts as its bytes; the block
// is checked for valid UTF-8 apart. A scanner over the bytes (plainLineEnd) takes the plain line (a fill id
// with nothing escaped) at a fraction of the pattern's cost and without turning the block into a string; a
// line it does not take goes to the pattern, which takes the rare escaped fill id or says why the line is bad.
// The scanner takes no line the pattern refuses (test/unit/fill-tsv.test.ts checks both on the same lines).
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
const int = (digits: number) => `(?:0|[1-9][0-9]{0,${digits - 1}})`;
const hash = '0x[0-9a-f]{64}';
const address = '0x[0-9a-f]{40}';
const VALUE: Record<(typeof FILL_FIELDS)[number], string> = {
  fill_id: str,
  source: '(?:subgraph|chain)',
  exchange: '(?:0x[0-9a-f]{40})?',
  block_number: int(16),
  log_index: int(10),
  timestamp: int(11),
  transaction_hash: hash,
  order_hash: hash,
  maker: address,
  taker: address,
  maker_asset_id: uint,
  taker_asset_id: uint,
  maker_amount_filled: uint,
  taker_amount_filled: uint,
  fee: uint,
  token_id: uint,
  side: '(?:BUY|SELL)',
  usdc_amount: uint,
  token_amount: uint,
  price: '(?:0|[1-9][0-9]{0,15})(?:\\.[0-9]{1,20})?(?:e-[0-9]{1,3})?',
};
/** The rules of a fill line, anchored at both ends (sticky, tested at 0 on the one line). */
export const FULL_LINE = new RegExp(`${FILL_FIELDS.map((f) => VALUE[f]).join('\\t')}\\n`, 'y');
const SEVENTY_EIGHT_DIGITS = /(?<![0-9])[0-9]{78}(?![0-9])/g;
const V1 = new Set(V1_EXCHANGES.map((a) => a.toLowerCase()));
/** No fill line is shorter (two hashes, two addresses and the tabs alone are 186 bytes). */
const MIN_LINE_BYTES = 186;

const TAB = 9;
const LF = 10;
const DIGIT = 1;
const HEX = 2;
/** A byte a plain fill id may hold: no tab, line feed, carriage return, other control character or backslash. */
const PLAIN = 4;
const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) CLASS[c] = (c >= 48 && c <= 57 ? DIGIT | HEX : 0) | (c >= 97 && c <= 102 ? HEX : 0) | (c >= 0x20 && c !== 92 ? PLAIN : 0);
const MAX_DIGITS = Buffer.from(MAX, 'latin1');
const bytes = (s: string) => Buffer.from(s, 'latin1');
const SUBGRAPH = bytes('subgraph\t');
const CHAIN = bytes('chain\t');
const BUY = bytes('BUY\t');
const SELL = bytes('SELL\t');

/** Where the fields the loader reads start in the line just scanned: source, exchange, block number, timestamp, transaction hash. */
const FIELD = new Int32Array(5);

/** The index of the byte after the digits that start at `i`. */
function digitsEnd(b: Uint8Array, i: number, end: number): number {
  while (i < end && CLASS[b[i]!]! & DIGIT) i++;
  return i;
}

/** `0` or a number of at most `max` digits without a leading zero, then `term`: the index of `term`, or -1. */
function intEnd(b: Uint8Array, i: number, end: number, max: number, term: number): number {
  const j = digitsEnd(b, i, end);
  const n = j - i;
  return n === 0 || n > max || (n > 1 && b[i] === 48) || j >= end || b[j] !== term ? -1 : j;
}

/** A uint256 (as `uint`): at most 78 digits, no leading zero, 78 only up to the maximum; then a tab. */
function uintEnd(b: Uint8Array, i: number, end: number): number {
  const j = intEnd(b, i, end, 78, TAB);
  if (j - i === 78) {
    for (let k = 0; k < 78; k++) {
      const d = b[i + k]!;
      const m = MAX_DIGITS[k]!;
      if (d !== m) return d < m ? j : -1;
    }
  }
  return j;
}

/** `0x` and `len` lowercase hex digits, then `term`. */
function hexEnd(b: Uint8Array, i: number, end: number, len: number, term: number): number {
  const j = i + 2 + len;
  if (j >= end || b[i] !== 48 || b[i + 1] !== 120 || b[j] !== term) return -1;
  for (let k = i + 2; k < j; k++) if (!(CLASS[b[k]!]! & HEX)) return -1;
  return j;
}

/** `word` (its final tab included) at `i`: the index of that tab, or -1. */
function wordEnd(b: Uint8Array, i: number, end: number, word: Uint8Array): number {
  if (i + word.length > end) return -1;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return -1;
  return i + word.length - 1;
}

/**
 * The plain line at `at` as FULL_LINE would take it, its fill id free of
 * escapes: the index after its line feed, or -1 for any other line (which
 * the pattern then judges). Records where the fields the loader reads start in FIELD.
 */
function plainLineEnd(b: Uint8Array, at: number, end: number): number {
  let i = at;
  while (i < end && CLASS[b[i]!]! & PLAIN) i++;
  if (i === at || i - at > 300 || i >= end || b[i] !== TAB) return -1;
  FIELD[0] = ++i;
  i = b[i] === 115 /* s */ ? wordEnd(b, i, end, SUBGRAPH) : wordEnd(b, i, end, CHAIN);
  if (i < 0) return -1;
  FIELD[1] = ++i;
  if (b[i] !== TAB && (i = hexEnd(b, i, end, 40, TAB)) < 0) return -1;
  FIELD[2] = ++i;
  if ((i = intEnd(b, i, end, 16, TAB)) < 0 || (i = intEnd(b, i + 1, end, 10, TAB)) < 0) return -1;
  FIELD[3] = ++i;
  if ((i = intEnd(b, i, end, 11, TAB)) < 0) return -1;
  FIELD[4] = ++i;
  if ((i = hexEnd(b, i, end, 64, TAB)) < 0 || (i = hexEnd(b, i + 1, end, 64, TAB)) < 0) return -1;
  if ((i = hexEnd(b, i + 1, end, 40, TAB)) < 0 || (i = hexEnd(b, i + 1, end, 40, TAB)) < 0) return -1;
  for (let f = 0; f < 6; f++) if ((i = uintEnd(b, i + 1, end)) < 0) return -1;
  i++;
  i = b[i] === 66 /* B */ ? wordEnd(b, i, end, BUY) : wordEnd(b, i, end, SELL);
  if (i < 0 || (i = uintEnd(b, i + 1, end)) < 0 || (i = uintEnd(b, i + 1, end)) < 0) return -1;
  // price: (?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,20})?(?:e-[0-9]{1,3})?, then the line feed.
  const start = i + 1;
  i = digitsEnd(b, start, end);
  if (i === start || i - start > 16 || (i - start > 1 && b[start] === 48)) return -1;
  if (b[i] === 46 /* . */) {
    const j = digitsEnd(b, i + 1, end);
    if (j === i + 1 || j - i - 1 > 20) return -1;
    i = j;
  }
  if (b[i] === 101 /* e */) {
    if (b[i + 1] !== 45 /* - */) return -1;
    const j = digitsEnd(b, i + 2, end);
    if (j === i + 2 || j - i - 2 > 3) return -1;
    i = j;
  }
  return i < end && b[i] === LF ? i + 1 : -1;
}

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
  if (!isUtf8(block)) throw new FillTsvError(0, block.toString('latin1', 0, 120), 'not valid UTF-8');
  const out = Buffer.allocUnsafe(block.length + suffix.length * Math.min(maxRows, Math.ceil(block.length / MIN_LINE_BYTES)));
  const end = block.length;
  let at = 0;
  let written = 0;
  let rows = 0;
  let newest = -1;
  const done = (stopped: boolean): FillTsvBlock => ({ body: out.subarray(0, written), rows, newest: rows === 0 ? null : newest, consumed: at, stopped });
  while (at < end && rows < maxRows) {
    let next = plainLineEnd(block, at, end);
    if (next < 0) {
      const nl = block.indexOf(LF, at);
      const line = block.toString('latin1', at, nl < 0 ? end : nl + 1);
      if (stopAt.includes(nl < 0 ? line : line.slice(0, -1))) return done(true);
      next = at + fullLine(line, rows);
      // Fields: fill_id, source, exchange, block, log index, timestamp, transaction hash. The fill id holds no raw tab.
      FIELD[0] = block.indexOf(TAB, at) + 1;
      FIELD[1] = block.indexOf(TAB, FIELD[0]) + 1;
      FIELD[2] = block.indexOf(TAB, FIELD[1]) + 1;
      FIELD[3] = block.indexOf(TAB, block.indexOf(TAB, FIELD[2]) + 1) + 1;
      FIELD[4] = block.indexOf(TAB, FIELD[3]) + 1;
    }
    let ts = 0;
    for (let i = FIELD[3]!; ; i++) {
      const digit = block[i]! - 48;
      if (!(digit >= 0 && digit <= 9)) break;
      ts = ts * 10 + digit;
    }
    if (ts > newest) newest = ts;
    if (block[FIELD[0]!] === 99 /* c: chain */ && V1.has(block.toString('latin1', FIELD[1], FIELD[2]! - 1))) {
      v1ChainTransactions.add(block.toString('latin1', FIELD[4], FIELD[4]! + 66));
    }
    written += block.copy(out, written, at, next - 1);
    written += suffix.copy(out, written);
    at = next;
    rows++;
  }
  return done(false);
}

/** The pattern, for a line the scanner did not take (its text, line feed included): its length, or why it is not a fill. */
function fullLine(line: string, lineIndex: number): number {
  FULL_LINE.lastIndex = 0;
  if (FULL_LINE.test(line)) return FULL_LINE.lastIndex;
  const text = line.endsWith('\n') ? line.slice(0, -1) : line;
  const over = text.match(SEVENTY_EIGHT_DIGITS)?.find((n) => n > MAX);
  throw new FillTsvError(
    lineIndex,
    text.slice(0, 120),
    over ? `${over.slice(0, 12)}… exceeds uint256` : 'not a canonical fill row (a column is missing, extra, out of order or malformed)',
  );
}

/** Whether the scanner takes `line` (one line, its line feed included) without the pattern: for tests, which compare it with FULL_LINE. */
export const scannerTakes = (line: Buffer): boolean => plainLineEnd(line, 0, line.length) === line.length;

/** The suffix that adds one string column to every line: a tab and the value, escaped. */
export const tsvColumnSuffix = (value: string): Buffer => Buffer.from(`\t${escapeTsv(value)}\n`, 'utf8');
