import { createFetcherHandler } from './handlers/fetcher.ts';
import { observabilityFromEnvironment, pipelineFromEnvironment, sourcesFromEnvironment } from './environment.ts';

export const handler = createFetcherHandler({ ...pipelineFromEnvironment(), sources: sourcesFromEnvironment(), ...observabilityFromEnvironment() });
