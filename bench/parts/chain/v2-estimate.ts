import { FUNCTION_MEMORY_GB, PRICES } from '#bench/lib/cost.ts';
import type { ProviderProfile } from './profiles.ts';

/**
 * Polymarket's fills per day, from a public count: the Polymarket-v1
 * Database (Qin & Yang, arXiv:2606.04217, June 2026; dataset card
 * https://huggingface.co/datasets/TimeSeventeen/Polymarket-v1) holds
 * 1,201,580,990 OrderFilled rows of the V1 exchanges from 2022-11-21 to
 * 2026-04-28, the whole V1 era: 1,255 days counting both ends, about 957,000 fills a day on
 * average. One OrderFilled is one fill in this project's model. Trading grew
 * over the era, so V2 (since 2026-04-28) runs at least at this rate.
 */
export const POLYMARKET_FILLS = {
  v1OrderFilled: 1_201_580_990,
  from: '2022-11-21',
  to: '2026-04-28',
  source: 'Polymarket-v1 Database, arXiv:2606.04217 (June 2026), https://huggingface.co/datasets/TimeSeventeen/Polymarket-v1',
} as const;

const DAY_MS = 86_400_000;
export const V1_DAYS = Math.round((Date.parse(POLYMARKET_FILLS.to) - Date.parse(POLYMARKET_FILLS.from)) / DAY_MS) + 1;
export const FILLS_PER_DAY = POLYMARKET_FILLS.v1OrderFilled / V1_DAYS;
/**
 * Polygon PoS makes a block about every 2 s: 43,200 a day. Since Madhugiri
 * (block 80,084,800, December 2025) Bor allows one a second, and producers
 * run a cadence over that floor (PIP-75): 2 s, and 1.75 s since May 2026 by
 * Polygon's account (PIP-86, not checked here), which would be 49,371 a day,
 * fewer fills in each. The estimate keeps 2 s.
 */
export const POLYGON_BLOCKS_PER_DAY = 43_200;
/**
 * The loader's rate on the server path (the loader's process sending to a
 * ClickHouse behind HTTP), as `npm run bench -- --only loader-fast` measured
 * it on 2 shared cores on 2026-12-01: 52,720 and 56,151 rows/s (staged format 2).
 */
export const LOADER_ROWS_PER_SECOND = 50_000;

export interface V2Estimate {
  profile: string;
  days: number;
  fills: number;
  /** Fills per second the measured share of this profile's limit gives at Polymarket's density. */
  fillsPerSecond: number;
  seconds: number;
  /** Header reads when the provider sends no blockTimestamp: every Polygon block has fills. */
  headerRequests: number;
  headerSeconds: number;
  dollars: number;
  basis: string;
}

/**
 * A V2 backfill from V2's first day to `asOf` at Polymarket's average rate,
 * through `profile` at the share of its limit the bench measured: the time,
 * and the AWS cost of the fetchers that wait on the provider that long
 * (`fetchers` x 1 GB), their requests, one S3 object per page (PUT and GET)
 * and the loader at its current rate.
 */
export function v2Backfill(profile: ProviderProfile, measuredShare: number, fetchers: number, asOf: Date, blockBatchSize = 50): V2Estimate {
  const days = Math.max(1, Math.round((asOf.getTime() - Date.parse(POLYMARKET_FILLS.to)) / DAY_MS));
  const fills = days * FILLS_PER_DAY;
  const blocks = days * POLYGON_BLOCKS_PER_DAY;
  const perBlock = FILLS_PER_DAY / POLYGON_BLOCKS_PER_DAY;
  const perCall = Math.min(profile.maxResults ?? Number.POSITIVE_INFINITY, (profile.maxSpan ?? Number.POSITIVE_INFINITY) * perBlock);
  const limit = profile.callsPerSecond * perCall;
  const fillsPerSecond = limit * Math.max(measuredShare, 1e-6);
  const seconds = fills / fillsPerSecond;
  const headerRequests = Math.ceil(blocks / blockBatchSize);
  const headerSeconds = headerRequests / profile.callsPerSecond;
  const calls = fills / perCall;
  const gbSeconds = fetchers * (seconds + headerSeconds) * FUNCTION_MEMORY_GB + (fills / LOADER_ROWS_PER_SECOND) * FUNCTION_MEMORY_GB;
  const dollars =
    gbSeconds * PRICES.lambdaGbSecond +
    (calls * PRICES.s3PutPerThousand) / 1000 +
    (calls * PRICES.s3GetPerThousand) / 1000 +
    (3 * calls * PRICES.sqsRequestPerMillion) / 1e6 +
    (2 * calls * PRICES.lambdaRequestPerMillion) / 1e6;
  return {
    profile: profile.name,
    days,
    fills,
    fillsPerSecond,
    seconds,
    headerRequests,
    headerSeconds,
    dollars,
    basis:
      `${Math.round(perBlock)} fills/block, ${Math.round(perCall).toLocaleString('en-US')} results/call at the cap, ${fetchers} fetchers × 1 GB for the fetch, ` +
      `the loader at ${LOADER_ROWS_PER_SECOND.toLocaleString('en-US')} rows/s, one S3 object per call`,
  };
}
