import { createPlannerHandler } from './handlers/planner.ts';
import { observabilityFromEnvironment, pipelineFromEnvironment, sourcesFromEnvironment } from './environment.ts';

export const handler = createPlannerHandler({ ...pipelineFromEnvironment(), sources: sourcesFromEnvironment(), ...observabilityFromEnvironment() });
