import { decodeEventLog, type AbiEvent, type DecodeEventLogReturnType, type Hex } from 'viem';
import type { z } from 'zod';
import { rejectRecord, type StagedRecord, type StagedTable } from '#shared/model/staged.ts';
import { CHAIN_SOURCE, logBlockNumber, type RpcLog } from '#shared/sources/chain/decode.ts';

/** Maps one log to the records it stands for; never throws (bad input becomes a reject). */
export type LogDecoder = (log: RpcLog, timestamp: number | null) => StagedRecord[];

/** Where a log sits on chain, validated and normalised (lower-case hex, numbers). */
export interface LogPosition {
  address: string;
  transactionHash: string;
  logIndex: number;
  blockNumber: number;
}

const HEX_QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
const HEX_HASH = /^0x[0-9a-fA-F]{64}$/;
const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export const chainReject = (reason: string, log: unknown): StagedRecord => rejectRecord(CHAIN_SOURCE, reason, log);

/** The log's position, or why it has none we can use. */
export function logPosition(log: RpcLog): LogPosition | string {
  if (log.removed === true) return 'log marked removed (reorged out) by the provider';
  if (typeof log.address !== 'string' || !HEX_ADDRESS.test(log.address)) return 'log has no valid address';
  if (typeof log.transactionHash !== 'string' || !HEX_HASH.test(log.transactionHash)) return 'log has no valid transactionHash';
  if (typeof log.logIndex !== 'string' || !HEX_QUANTITY.test(log.logIndex)) return 'log has no valid logIndex';
  const blockNumber = logBlockNumber(log);
  if (blockNumber === null) return 'log has no valid blockNumber';
  const logIndex = BigInt(log.logIndex);
  if (blockNumber > BigInt(Number.MAX_SAFE_INTEGER) || logIndex > 0xffff_ffffn) return 'log position out of range';
  return {
    address: log.address.toLowerCase(),
    transactionHash: log.transactionHash.toLowerCase(),
    logIndex: Number(logIndex),
    blockNumber: Number(blockNumber),
  };
}

/** A usable block timestamp (unix seconds), or null. */
export const validTimestamp = (timestamp: number | null): number | null =>
  timestamp !== null && Number.isSafeInteger(timestamp) && timestamp >= 0 ? timestamp : null;

export type EventArgs<E extends AbiEvent> = DecodeEventLogReturnType<readonly [E]>['args'];

/**
 * Decodes a log against one event, or says why it cannot. Beyond viem's own
 * checks, the topic count must match the indexed inputs exactly: an event
 * with the same topic0 but other indexing (ERC-20 vs ERC-721 style) is not ours.
 */
export function decodeArgs<const E extends AbiEvent>(event: E, log: RpcLog): EventArgs<E> | string {
  const indexed = event.inputs.filter((i) => 'indexed' in i && i.indexed).length;
  if (!Array.isArray(log.topics) || log.topics.length !== indexed + 1) {
    return `${event.name}: expected ${indexed + 1} topics, got ${Array.isArray(log.topics) ? log.topics.length : 'none'}`;
  }
  try {
    const { args } = decodeEventLog({
      abi: [event] as readonly [E],
      data: log.data as Hex,
      topics: log.topics as [Hex, ...Hex[]],
      strict: true,
    });
    return args as EventArgs<E>;
  } catch (err) {
    const why = err instanceof Error ? ((err as { shortMessage?: string }).shortMessage ?? err.message) : String(err);
    return `cannot decode ${event.name}: ${why.split('\n')[0]}`;
  }
}

type RowOf<T extends StagedTable> = Extract<StagedRecord, { table: T }>['row'];

/** Validates a row against its table's schema: a row that would not load becomes a reject instead. */
export function stageRow<T extends StagedTable>(table: T, schema: z.ZodType<RowOf<T>>, row: RowOf<T>, log: RpcLog): StagedRecord {
  const parsed = schema.safeParse(row);
  if (!parsed.success) {
    return chainReject(`invalid ${table} row: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, log);
  }
  return { table, row: parsed.data } as StagedRecord;
}

/** Runs a decoder body so that nothing it does can throw past it. */
export function guarded(log: RpcLog, body: () => StagedRecord[]): StagedRecord[] {
  try {
    return body();
  } catch (err) {
    return [chainReject(`unexpected error mapping the log: ${err instanceof Error ? err.message : String(err)}`, log)];
  }
}

export const lower = (s: string): string => s.toLowerCase();
export const decimals = (values: readonly bigint[]): string[] => values.map((v) => v.toString());
