/**
 * The provider plans the chain part benches against, as issue 12 states them.
 * The latency and the public node's random 429 share are this bench's own
 * assumptions (a hosted provider answers eth_getLogs in a few hundred ms; a
 * public node throttles well below its nominal rate), not a provider's figure.
 */
export interface ProviderProfile {
  name: 'paid' | 'span-capped' | 'public';
  /** HTTP requests per second the provider accepts (a JSON-RPC batch is one request); above it: HTTP 429. */
  callsPerSecond: number;
  /** eth_getLogs results per call; more: refused with Alchemy's wording and a block range that fits. */
  maxResults?: number | undefined;
  /** Blocks per eth_getLogs; wider: refused with the provider's stated cap. */
  maxSpan?: number | undefined;
  /** Added to every answer, ms. */
  latencyMs: number;
  /** Share of requests answered 429 at random even under the rate ("frequent 429s"). */
  randomThrottleShare: number;
  /** Block span of the sequential scanner on a span-capped plan (the provider's cap, as scripts hard-code it); see scannerSpan for the paid plan. */
  scannerSpan: number;
}

export const PROFILES: readonly ProviderProfile[] = [
  { name: 'paid', callsPerSecond: 25, maxResults: 10_000, latencyMs: 200, randomThrottleShare: 0, scannerSpan: 2_000 },
  { name: 'span-capped', callsPerSecond: 25, maxSpan: 2_000, latencyMs: 200, randomThrottleShare: 0, scannerSpan: 2_000 },
  { name: 'public', callsPerSecond: 10, maxSpan: 1_000, latencyMs: 250, randomThrottleShare: 0.05, scannerSpan: 1_000 },
];
