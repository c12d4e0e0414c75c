import { getAddress, isAddress, type Address, type Hex } from 'viem';
import { rejectRecord, type StagedRecord } from '#shared/model/staged.ts';
import { ORDER_FILLED_TOPIC } from './abi.ts';
import { CHAIN_SOURCE, decodeOrderFilledLog, type RpcLog } from './decode.ts';

/**
 * What the chain source reads and how each log becomes staged records: the
 * contracts and topic0s go into one eth_getLogs filter, and `decode` maps a
 * log to its rows. The source itself knows nothing about any event.
 */
export interface LogCatalogue {
  readonly addresses: readonly Address[];
  readonly topics: readonly Hex[];
  /** Never throws: a log it cannot use becomes a reject with the reason. */
  decode(log: RpcLog, timestamp: number | null): StagedRecord[];
  /** Transactions whose receipts `attributeAdapters` needs (activity routed through a collateral adapter). */
  adapterTransactions?(records: readonly StagedRecord[]): string[];
  /** Names the real wallet behind adapter-routed activity from the transaction's other logs. */
  attributeAdapters?(records: StagedRecord[], receiptLogs: ReadonlyMap<string, readonly RpcLog[]>): StagedRecord[];
}

export function checkedAddresses(addresses: readonly string[], what: string): Address[] {
  return addresses.map((a) => {
    if (!isAddress(a, { strict: false })) throw new Error(`chain source: ${what} "${a}" is not an address`);
    return getAddress(a.toLowerCase());
  });
}

/** The V2 `OrderFilled` of the given exchanges, and nothing else: what the chain source read before the catalogue. */
export function orderFilledCatalogue(exchanges: readonly string[]): LogCatalogue {
  const addresses = checkedAddresses(exchanges, 'exchange');
  if (addresses.length === 0) throw new Error('chain source: no exchange addresses');
  const known = new Set(addresses.map((a) => a.toLowerCase()));
  return {
    addresses,
    topics: [ORDER_FILLED_TOPIC],
    decode(log, timestamp) {
      if (typeof log.address !== 'string' || !known.has(log.address.toLowerCase())) {
        return [rejectRecord(CHAIN_SOURCE, `log from ${String(log.address)}, not one of the configured exchanges`, log)];
      }
      return [decodeOrderFilledLog(log, timestamp)];
    },
  };
}
