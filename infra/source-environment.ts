import { SOURCE_RATE_SETTINGS } from '#shared/config.ts';
import { SOURCE_NAMES } from '#shared/sources/source.ts';
import type { EnvironmentConfig } from './environments.ts';

/**
 * How the functions that call the sources pace their requests
 * (shared/sources/pacing.ts). Each fetcher is its own process and at most
 * fetcher.maxConcurrency run at once, so each paces at total / maxConcurrency.
 * The planner takes the same share: it usually runs alone, but may overlap
 * fetchers still working through a previous cycle.
 */
export function sourcePacingEnvironment(config: EnvironmentConfig): Record<string, string> {
  const env: Record<string, string> = { SOURCE_RATE_SHARED_BY: String(config.fetcher.maxConcurrency) };
  for (const source of SOURCE_NAMES) {
    const total = config.sources.requestsPerSecond[source];
    if (total !== undefined) env[SOURCE_RATE_SETTINGS[source]] = String(total);
  }
  return env;
}

/**
 * The stage's collateral adapters (CHAIN_ADAPTERS), for the functions that
 * read the chain and for the monitor, which checks that no activity is
 * credited to one. Unset: the product's defaults.
 */
export function chainAdaptersEnvironment(config: EnvironmentConfig): Record<string, string> {
  const adapters = config.sources.chainAdapters;
  return adapters ? { CHAIN_ADAPTERS: adapters.map((a) => a.toLowerCase()).join(',') } : {};
}
