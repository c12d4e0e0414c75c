import { z } from 'zod';

const blockString = z.string().regex(/^(0|[1-9][0-9]{0,19})$/, 'must be a decimal block number');

export const chainShardSpecSchema = z
  .object({ fromBlock: blockString, toBlock: blockString, span: z.number().int().positive(), logsPerBlock: z.number().positive().optional() })
  .refine((s) => BigInt(s.fromBlock) <= BigInt(s.toBlock), 'fromBlock must not be after toBlock');

export interface ChainCursor {
  /** First block the next page reads, decimal. */
  nextBlock: string;
  /** Blocks the next eth_getLogs request covers (adapted page by page). */
  span: number;
}
export const chainCursorSchema = z.object({ nextBlock: blockString, span: z.number().int().positive() });
