import { UINT256_MAX, type FillRow } from '#shared/model/fill.ts';

/**
 * Fill rows are staged as JSON with their keys in this exact order, so the
 * loader can check a line with one anchored pattern instead of parsing it:
 * a line that is not in this shape (a missing column, "+1", "01", a stray
 * field) is refused before it can reach ClickHouse, which would otherwise
 * fill gaps with defaults or wrap an oversized number.
 */
export const FILL_FIELDS = [
  'fill_id',
  'source',
  'exchange',
  'block_number',
  'log_index',
  'timestamp',
  'transaction_hash',
  'order_hash',
  'maker',
  'taker',
  'maker_asset_id',
  'taker_asset_id',
  'maker_amount_filled',
  'taker_amount_filled',
  'fee',
  'token_id',
  'side',
  'usdc_amount',
  'token_amount',
  'price',
] as const satisfies readonly (keyof FillRow)[];

/** The row as canonical JSON (keys in FILL_FIELDS order; one stringify of an ordered literal is the fast way). */
export function fillJson(r: FillRow): string {
  return JSON.stringify({
    fill_id: r.fill_id,
    source: r.source,
    exchange: r.exchange,
    block_number: r.block_number,
    log_index: r.log_index,
    timestamp: r.timestamp,
    transaction_hash: r.transaction_hash,
    order_hash: r.order_hash,
    maker: r.maker,
    taker: r.taker,
    maker_asset_id: r.maker_asset_id,
    taker_asset_id: r.taker_asset_id,
    maker_amount_filled: r.maker_amount_filled,
    taker_amount_filled: r.taker_amount_filled,
    fee: r.fee,
    token_id: r.token_id,
    side: r.side,
    usdc_amount: r.usdc_amount,
    token_amount: r.token_amount,
    price: r.price,
  } satisfies Record<(typeof FILL_FIELDS)[number], unknown>);
}

const str = '"(?:[^"\\\\\\u0000-\\u001f]|\\\\.){1,300}"';
const uint = '"(?:0|[1-9][0-9]{0,77})"';
const int = (digits: number) => `(?:0|[1-9][0-9]{0,${digits - 1}})`;
const hash = '"0x[0-9a-f]{64}"';
const address = '"0x[0-9a-f]{40}"';
const VALUE: Record<(typeof FILL_FIELDS)[number], string> = {
  fill_id: str,
  source: '"(?:subgraph|chain)"',
  exchange: '"(?:0x[0-9a-f]{40})?"',
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
  side: '"(?:BUY|SELL)"',
  usdc_amount: uint,
  token_amount: uint,
  price: '(?:0|[1-9][0-9]{0,15})(?:\\.[0-9]{1,20})?(?:e-[0-9]{1,3})?',
};
const CANONICAL_FILL = new RegExp(`^\\{${FILL_FIELDS.map((f) => `"${f}":${VALUE[f]}`).join(',')}\\}$`);
const SEVENTY_EIGHT_DIGITS = /"([0-9]{78})"/g;
const MAX = UINT256_MAX.toString();

/** Null when the text is a canonical fill row, else why not. */
export function fillJsonProblem(json: string): string | null {
  if (!CANONICAL_FILL.test(json)) return 'not a canonical fill row (a column is missing, extra, out of order or malformed)';
  for (const m of json.matchAll(SEVENTY_EIGHT_DIGITS)) {
    if (m[1]! > MAX) return `${m[1]!.slice(0, 12)}… exceeds uint256`;
  }
  return null;
}
