import { createMonitorHandler } from './handlers/monitor.ts';
import { chainContractsFromEnvironment, observabilityFromEnvironment, pipelineFromEnvironment, warehouseFromEnvironment } from './environment.ts';

export const handler = createMonitorHandler({
  ...pipelineFromEnvironment(),
  warehouse: warehouseFromEnvironment(),
  chain: chainContractsFromEnvironment(),
  ...observabilityFromEnvironment(),
});
