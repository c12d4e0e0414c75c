import type { ShardDivision } from '#shared/sources/source.ts';
import type { ChainCursor } from './cursor.ts';
import type { ChainShardSpec } from './plan.ts';

/**
 * A shard divides only while it has at least this many requests left at its
 * current span: each half then pages two or more, and ends on at most one
 * short request, as any shard does.
 */
export const MIN_REQUESTS_TO_DIVIDE = 4;

/**
 * Divides the blocks a shard has left, [cursor, toBlock], at a whole number
 * of its current spans: the shard keeps the first half of its requests, the
 * new shard reads the rest and starts at the span the shard had learned.
 */
export function divideChainRest(spec: ChainShardSpec, cursor: ChainCursor | null): ShardDivision<ChainShardSpec> | null {
  const from = cursor ? BigInt(cursor.nextBlock) : BigInt(spec.fromBlock);
  const to = BigInt(spec.toBlock);
  if (from > to) return null;
  const span = BigInt(cursor?.span ?? spec.span);
  const left = to - from + 1n;
  const requests = (left + span - 1n) / span;
  if (requests < BigInt(MIN_REQUESTS_TO_DIVIDE)) return null;
  const restFrom = from + (requests / 2n) * span;
  const rest: ChainShardSpec = { ...spec, fromBlock: restFrom.toString(), span: Number(span) };
  return {
    keep: { ...spec, toBlock: (restFrom - 1n).toString() },
    rest: { spec: rest, label: `blocks ${restFrom}..${to}` },
    restShare: Number(to - restFrom + 1n) / Number(left),
  };
}
