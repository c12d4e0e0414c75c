import { createLoaderHandler } from './handlers/loader.ts';
import { observabilityFromEnvironment, pipelineFromEnvironment, warehouseFromEnvironment } from './environment.ts';

export const handler = createLoaderHandler({ ...pipelineFromEnvironment(), warehouse: warehouseFromEnvironment(), ...observabilityFromEnvironment() });
