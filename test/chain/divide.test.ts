import { describe, expect, it } from 'vitest';
import { divideChainRest, MIN_REQUESTS_TO_DIVIDE } from '#shared/sources/chain/divide.ts';
import { chainShardSpecSchema } from '#shared/sources/chain/cursor.ts';
import type { ChainShardSpec } from '#shared/sources/chain/plan.ts';

const spec: ChainShardSpec = { fromBlock: '1000', toBlock: '1999', span: 100, logsPerBlock: 0.5 };

describe('chain source: dividing what a shard has left', () => {
  it('keeps the first half of the requests left at the learned span and gives the rest a shard of its own', () => {
    // Left: blocks 1250..1999 = 750 blocks = 8 requests of 90 (the last short); the shard keeps 4.
    const d = divideChainRest(spec, { nextBlock: '1250', span: 90 });
    expect(d).not.toBeNull();
    expect(d?.keep).toEqual({ ...spec, toBlock: '1609' });
    expect(d?.rest.spec).toEqual({ fromBlock: '1610', toBlock: '1999', span: 90, logsPerBlock: 0.5 });
    expect(d?.rest.label).toBe('blocks 1610..1999');
    expect(d?.restShare).toBeCloseTo(390 / 750, 10);
    // Both halves are valid specs, and together they are exactly the blocks left.
    expect(chainShardSpecSchema.safeParse(d?.keep).success).toBe(true);
    expect(chainShardSpecSchema.safeParse(d?.rest.spec).success).toBe(true);
    expect(BigInt(d?.keep.toBlock ?? 0) + 1n).toBe(BigInt(d?.rest.spec.fromBlock ?? 0));
  });

  it('divides an unstarted shard from its first block at the planned span', () => {
    const d = divideChainRest(spec, null);
    expect(d?.keep.toBlock).toBe('1499');
    expect(d?.rest.spec.fromBlock).toBe('1500');
    expect(d?.restShare).toBe(0.5);
  });

  it(`does not divide a shard with fewer than ${MIN_REQUESTS_TO_DIVIDE} requests left, nor one read to its end`, () => {
    expect(divideChainRest(spec, { nextBlock: '1700', span: 100 })).toBeNull(); // 300 blocks: 3 requests
    expect(divideChainRest(spec, { nextBlock: '1600', span: 100 })).not.toBeNull(); // 400 blocks: 4 requests
    expect(divideChainRest(spec, { nextBlock: '2000', span: 100 })).toBeNull();
  });

  it('divides a range past 2^53 exactly', () => {
    const far: ChainShardSpec = { fromBlock: '9007199254740993', toBlock: '9007199254741992', span: 100 };
    const d = divideChainRest(far, null);
    expect(d?.keep.toBlock).toBe('9007199254741492');
    expect(d?.rest.spec.fromBlock).toBe('9007199254741493');
  });
});
