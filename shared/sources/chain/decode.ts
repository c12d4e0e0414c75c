import { decodeEventLog, type Hex } from 'viem';
import { deriveMakerView, fillRowSchema, type FillLegs, type FillRow } from '#shared/model/fill.ts';
import { rejectRecord, type StagedRecord } from '#shared/model/staged.ts';
import { ORDER_FILLED_EVENT } from './abi.ts';

export const CHAIN_SOURCE = 'chain';

/**
 * An `eth_getLogs` entry as the JSON-RPC wire carries it (hex quantities).
 * `blockTimestamp` is a non-standard field some providers add.
 */
export interface RpcLog {
  address: string;
  topics: readonly string[];
  data: string;
  blockNumber: string | null;
  blockHash: string | null;
  transactionHash: string | null;
  transactionIndex?: string | null;
  logIndex: string | null;
  removed?: boolean;
  blockTimestamp?: string | null;
}

const HEX_QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
const HEX_HASH = /^0x[0-9a-fA-F]{64}$/;

/** Block number of a log, or null when the provider sent none or garbage. */
export function logBlockNumber(log: RpcLog): bigint | null {
  return typeof log.blockNumber === 'string' && HEX_QUANTITY.test(log.blockNumber) ? BigInt(log.blockNumber) : null;
}

/** The timestamp a provider attached to the log itself (unix seconds), if any. */
export function logBlockTimestamp(log: RpcLog): number | null {
  const t = log.blockTimestamp;
  return typeof t === 'string' && HEX_QUANTITY.test(t) ? Number(BigInt(t)) : null;
}

/** Where a fill sits on chain, normalised (lower-case hex, numbers), and its block's time. */
export interface FillPosition {
  address: string;
  transactionHash: string;
  logIndex: number;
  blockNumber: number;
  timestamp: number;
}

/** What an `OrderFilled` of either era says of the order besides its legs. */
export interface FilledOrder {
  orderHash: string;
  maker: string;
  taker: string;
  fee: bigint;
}

/**
 * The `fills` row of one `OrderFilled` (V1 or V2), legs as given (asset id
 * "0" is USDC) and the maker's view derived from them, or why the legs are
 * not one USDC leg and one token leg. The id is `<tx hash>_<log index>` in
 * both eras, so one fill read twice is one row.
 */
export function orderFilledRow(at: FillPosition, order: FilledOrder, legs: FillLegs): FillRow | string {
  const view = deriveMakerView(legs);
  if (typeof view === 'string') return `OrderFilled legs: ${view}`;
  return {
    fill_id: `${at.transactionHash}_${at.logIndex}`,
    source: 'chain',
    exchange: at.address,
    block_number: at.blockNumber,
    log_index: at.logIndex,
    timestamp: at.timestamp,
    transaction_hash: at.transactionHash,
    order_hash: order.orderHash.toLowerCase(),
    maker: order.maker.toLowerCase(),
    taker: order.taker.toLowerCase(),
    maker_asset_id: legs.makerAssetId,
    taker_asset_id: legs.takerAssetId,
    maker_amount_filled: legs.makerAmountFilled,
    taker_amount_filled: legs.takerAmountFilled,
    fee: order.fee.toString(),
    ...view,
  };
}

/**
 * Maps one `OrderFilled` log to a `fills` record, or to a `rejects` record
 * that says why it could not be (undecodable data, a side other than 0/1,
 * legs that are not one USDC leg and one token leg, a field out of range).
 * Never throws: a bad log must not cost the page.
 *
 * V2 reports the maker order's `side` and one `tokenId`; the V1 shape has two
 * asset ids with "0" for USDC: BUY (0) → maker gives USDC, so
 * maker_asset_id "0" and taker_asset_id = tokenId; SELL (1) → the reverse.
 */
export function decodeOrderFilledLog(log: RpcLog, timestamp: number | null): StagedRecord {
  const reject = (reason: string) => rejectRecord(CHAIN_SOURCE, reason, log);
  try {
    if (log.removed === true) return reject('log marked removed (reorged out) by the provider');
    if (typeof log.transactionHash !== 'string' || !HEX_HASH.test(log.transactionHash)) return reject('log has no valid transactionHash');
    if (typeof log.logIndex !== 'string' || !HEX_QUANTITY.test(log.logIndex)) return reject('log has no valid logIndex');
    const blockNumber = logBlockNumber(log);
    if (blockNumber === null) return reject('log has no valid blockNumber');
    if (timestamp === null || !Number.isSafeInteger(timestamp) || timestamp < 0) return reject('no block timestamp for the log');

    let args;
    try {
      ({ args } = decodeEventLog({
        abi: [ORDER_FILLED_EVENT],
        data: log.data as Hex,
        topics: log.topics as [Hex, ...Hex[]],
        strict: true,
      }));
    } catch (err) {
      const why = err instanceof Error ? ((err as { shortMessage?: string }).shortMessage ?? err.message) : String(err);
      return reject(`cannot decode OrderFilled: ${why.split('\n')[0]}`);
    }

    const side = Number(args.side);
    if (side !== 0 && side !== 1) return reject(`OrderFilled side ${args.side} is neither 0 (BUY) nor 1 (SELL)`);
    const tokenId = args.tokenId.toString();
    const legs = {
      makerAssetId: side === 0 ? '0' : tokenId,
      takerAssetId: side === 0 ? tokenId : '0',
      makerAmountFilled: args.makerAmountFilled.toString(),
      takerAmountFilled: args.takerAmountFilled.toString(),
    };
    const at = {
      address: log.address.toLowerCase(),
      transactionHash: log.transactionHash.toLowerCase(),
      logIndex: Number(BigInt(log.logIndex)),
      blockNumber: Number(blockNumber),
      timestamp,
    };
    const row = orderFilledRow(at, args, legs);
    if (typeof row === 'string') return reject(row);
    const parsed = fillRowSchema.safeParse(row);
    if (!parsed.success) {
      return reject(`invalid fill row: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return { table: 'fills', row: parsed.data };
  } catch (err) {
    return reject(`unexpected error mapping the log: ${err instanceof Error ? err.message : String(err)}`);
  }
}
