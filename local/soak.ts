/**
 * `npm run soak`: the chaos soak. One sync, through the local runner and the
 * real handlers, over a large simulated history while everything around it
 * misbehaves:
 * - the sources answer 429 (with and without Retry-After, and a rate limit),
 *   500/502/503, hang past the timeout, cut connections, answer slowly;
 * - S3 refuses a share of puts and gets (503 SlowDown, 500 InternalError) and
 *   DynamoDB throttles a share of calls, through an HTTP fault proxy in front
 *   of the emulators (the handlers reach them only through it);
 * - ClickHouse is unreachable for a stretch in the middle of the load.
 * Cycles run until the run completes (dead letters are redriven between
 * cycles, as an operator would), then the warehouse is compared with the
 * source fill by fill. Prints the figures; exits 1 unless exact.
 *
 * The parts live in soak/: fault-proxy.ts, recipes.ts (what fails where),
 * run.ts (the cycles), report.ts (the comparison and the printout), cli.ts.
 */
import { pathToFileURL } from 'node:url';
import { runSoakCli } from './soak/cli.ts';

export { startFaultProxy, type FaultProxy, type ProxyFault } from './soak/fault-proxy.ts';
export { clickHouseOutage, dynamoFaults, s3Faults, sourceFaults, type Outage } from './soak/recipes.ts';
export { formatSoak, type SoakReport } from './soak/report.ts';
export { runSoak, SOAK_DEFAULTS, type SoakOptions } from './soak/run.ts';
export { soakCommand } from './soak/cli.ts';

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) await runSoakCli();
