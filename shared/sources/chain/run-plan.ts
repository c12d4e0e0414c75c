import type { PlanInput, SourcePlan } from '#shared/sources/source.ts';
import { toBlock } from './options.ts';
import { cutShards, firstBlockAtOrAfter, sampleDensity, type ChainShardSpec, type SizingConfig } from './plan.ts';
import type { ChainRpc } from './rpc.ts';
import type { SafeHead } from './safe-head.ts';

export interface RunPlanParts {
  rpc: ChainRpc;
  genesis: bigint;
  safeHead: SafeHead;
  /** Shard sizing as of now (what the instance has learned so far). */
  sizing: () => SizingConfig;
}

export type PlanChainRun = (input: PlanInput) => Promise<SourcePlan<ChainShardSpec>>;

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

/**
 * Plans a run: reads (watermark, safe head], narrowed by the run's window,
 * cut into shards sized by sampled log density and by the fetchers'
 * concurrency (enough shards to keep every fetcher busy). Target = the safe head when
 * the range joins what is already loaded.
 */
export function chainRunPlanner(parts: RunPlanParts): PlanChainRun {
  const { rpc, genesis, safeHead, sizing } = parts;

  async function resolveBound(kind: 'from' | 'to', value: string, safe: bigint, signal?: AbortSignal): Promise<bigint> {
    const v = value.trim();
    if (/^(0|[1-9][0-9]*)$/.test(v) || /^0x[0-9a-fA-F]+$/.test(v)) return BigInt(v);
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new Error(`chain source: window.${kind} "${value}" is neither a block number nor an ISO date`);
    const secs = Math.ceil(ms / 1000);
    const first = await firstBlockAtOrAfter(rpc, genesis, safe, secs, signal);
    // A date `from` is the first block at or after it; a date `to` is exclusive: the last block before it.
    return kind === 'from' ? first : first - 1n;
  }

  return async function plan(input) {
    const { signal } = input;
    const watermark = input.watermark === null ? null : toBlock('watermark', input.watermark);
    const safe = await safeHead.current(signal);
    const resume = watermark === null ? genesis : max(genesis, watermark + 1n);
    let start = resume;
    if (input.window?.from !== undefined) start = max(genesis, await resolveBound('from', input.window.from, safe, signal));
    let end = safe;
    if (input.window?.to !== undefined) end = min(safe, await resolveBound('to', input.window.to, safe, signal));

    // The watermark may only move to `end` when this run's range joins what
    // is already loaded; a detached window backfills without moving it.
    const joins = start <= resume;
    const reached = joins ? (watermark === null ? end : max(watermark, end)) : watermark;
    const targetValue = reached === null || (watermark === null && reached < genesis) ? input.watermark : reached.toString();
    if (start > end) return { shards: [], target: targetValue };

    const cfg = sizing();
    const regions = await sampleDensity(rpc, cfg, start, end, signal);
    // Shards sized by rows and by the fetchers' concurrency (the pipeline's figure; absent: by rows alone).
    return { shards: cutShards(cfg, regions, input.fetcherConcurrency), target: targetValue };
  };
}
