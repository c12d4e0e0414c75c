import { InvalidArgumentError } from 'commander';

/** A commander option parser: the typed value, or an InvalidArgumentError whose message commander prints after the flag. */
export type NumberParser = (value: string) => number;

const n = (x: number) => x.toLocaleString('en-US');

/**
 * An integer in [min, max]. Underscores group digits (`1_000_000`). The
 * bounds keep a typo (an extra zero, a pasted block number) from starting a
 * run that cannot finish on a laptop, and say what is accepted.
 */
export function boundedInt(min: number, max: number): NumberParser {
  return (value) => {
    const x = Number(value.trim().replace(/_/g, ''));
    if (value.trim() === '' || !Number.isInteger(x) || x < min || x > max) {
      throw new InvalidArgumentError(`must be a whole number from ${n(min)} to ${n(max)}`);
    }
    return x;
  };
}

/** A number in [min, max], fractions allowed. */
export function boundedNumber(min: number, max: number): NumberParser {
  return (value) => {
    const x = Number(value.trim().replace(/_/g, ''));
    if (value.trim() === '' || !Number.isFinite(x) || x < min || x > max) throw new InvalidArgumentError(`must be a number from ${n(min)} to ${n(max)}`);
    return x;
  };
}

/** Comma-separated integers, each in [min, max] (`--analyst-fills 1_000_000,10_000_000`). */
export function boundedIntList(min: number, max: number): (value: string) => number[] {
  const one = boundedInt(min, max);
  return (value) => {
    try {
      return value.split(',').map(one);
    } catch {
      throw new InvalidArgumentError(`must be comma-separated whole numbers, each from ${n(min)} to ${n(max)}`);
    }
  };
}

/**
 * The numeric flags' limits, one place for every command. Simulated sizes
 * stop where a run no longer fits a laptop's memory and an hour; fetchers
 * stop where a local process only waits on its own CPU.
 */
export const CLI_NUMBERS = {
  /** Fetchers at once (sync, replay, soak); the SQS event source's maxConcurrency in AWS is at most 1,000, locally 64 is plenty. */
  concurrency: boundedInt(1, 64),
  /** Simulated markets (sync, replay, doctor, soak). */
  markets: boundedInt(1, 100_000),
  /** Simulated fills (sync, replay, doctor, soak). */
  fills: boundedInt(1, 10_000_000),
  /** Simulated V2-era fills (sync, replay, doctor). */
  chainFills: boundedInt(1, 10_000_000),
  /** Dataset seeds (sync, replay, doctor, soak, bench): a 32-bit seed. */
  seed: boundedInt(1, 2_147_483_647),
  /** Soak: ClickHouse outage in ms, at most ten minutes. */
  outageMs: boundedInt(1, 600_000),
  /**
   * Soak: share of calls failed per fault kind (source, S3, DynamoDB). At most
   * a quarter: a source's fault kinds add up to 2.85 times the share
   * (local/soak/recipes.ts), so from about 0.35 no request would get through.
   */
  faultShare: boundedNumber(0, 0.25),
  /** Bench: fills in the simulated subgraph. */
  benchFills: boundedInt(1, 50_000_000),
  /** Bench: markets, wallets and the positions part's populations. */
  benchPopulation: boundedInt(1, 10_000_000),
  /** Bench: fetcher workers. */
  benchWorkers: boundedInt(1, 64),
  /** Bench: PAGES_PER_OBJECT (the setting's own limit). */
  pagesPerObject: boundedInt(1, 1_000),
  /** Bench: V8 heap cap of the fetcher-alone run in MiB; 0 leaves it uncapped. Lambda's largest memory size is 10,240 MB. */
  heapMib: boundedInt(0, 10_240),
  /** Bench: rows of the loader benchmark's object and of the positions part. */
  benchRows: boundedInt(1, 50_000_000),
  /** Bench: source limit in requests per second (the setting's own limit). */
  requestsPerSecond: boundedNumber(0.01, 100_000),
  /** Bench: latency added to every source response, at most a minute. */
  latencyMs: boundedNumber(0, 60_000),
  /** Bench: shares (top market's share of fills, incremental share). */
  share: boundedNumber(0, 1),
} as const satisfies Record<string, NumberParser>;
