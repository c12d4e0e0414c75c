import { createPlannerHandler } from './handlers/planner.ts';
import { loadSourcesFromEnvironment, observabilityFromEnvironment, pipelineFromEnvironment, plannerFromEnvironment } from './environment.ts';

// Top-level await (the bundle is ESM): the source-URLs secret is read once, during the cold start.
const sources = await loadSourcesFromEnvironment();

export const handler = createPlannerHandler({ ...pipelineFromEnvironment(), ...plannerFromEnvironment(), sources, ...observabilityFromEnvironment() });
