import { createMonitorHandler } from './handlers/monitor.ts';
import { observabilityFromEnvironment, pipelineFromEnvironment, warehouseFromEnvironment } from './environment.ts';

export const handler = createMonitorHandler({ ...pipelineFromEnvironment(), warehouse: warehouseFromEnvironment(), ...observabilityFromEnvironment() });
