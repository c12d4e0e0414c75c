import { createFetcherHandler } from './handlers/fetcher.ts';
import { loadSourcesFromEnvironment, observabilityFromEnvironment, pipelineFromEnvironment } from './environment.ts';

// Top-level await (the bundle is ESM): the source-URLs secret is read once, during the cold start.
const sources = await loadSourcesFromEnvironment();

export const handler = createFetcherHandler({ ...pipelineFromEnvironment(), sources, ...observabilityFromEnvironment() });
