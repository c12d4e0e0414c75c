import type { BenchPart } from './part.ts';
import { analystPart } from './analyst.ts';
import { shardingPart } from './sharding.ts';
import { loaderFastPart } from './loader-fast.ts';
import { chainPart } from './chain.ts';
import { splitsPart } from './splits.ts';

/**
 * The bench's self-contained parts, in the order a full run runs them (after
 * the approaches in bench/harness.ts). Each lives in its own module here.
 */
export const BENCH_PARTS: readonly BenchPart[] = [shardingPart, analystPart, loaderFastPart, chainPart, splitsPart];

export const partNamed = (name: string): BenchPart | undefined => BENCH_PARTS.find((p) => p.name === name);
