/**
 * `npm run soak`: the chaos soak. One sync, through the local runner and the
 * real handlers, of a simulated Polygon (V2 fills and all activity from the
 * chain source) with the orderbook subgraph (V1 fills) and the market lists
 * beside it, while everything around it misbehaves:
 * - the subgraph and lists answer 429 (with and without Retry-After, and a
 *   rate limit), 500/502/503, hang past the timeout, cut connections, answer slowly;
 * - the JSON-RPC provider answers 429 (with and without Retry-After),
 *   500/502/503, hangs, cuts connections, and refuses eth_getLogs ranges
 *   ("query returned more than N results", "Log response size exceeded");
 * - S3 refuses a share of puts and gets, DynamoDB throttles, SQS throttles,
 *   fails and loses batch entries (SendMessageBatch from the handlers;
 *   ReceiveMessage, DeleteMessageBatch, ChangeMessageVisibilityBatch from
 *   the event source), through HTTP fault proxies in front of the emulators;
 * - ClickHouse is unreachable for a stretch in the middle of the load.
 * Cycles run until the run completes (dead letters are redriven between
 * cycles, as an operator would), then the warehouse is compared with the
 * world: fills and activity id by id, positions field by field. Prints the
 * figures; exits 1 unless exact.
 *
 * The parts live in soak/: world.ts, fault-proxy.ts, chain-faults.ts,
 * sqs-faults.ts, recipes.ts (what fails where), run.ts (the cycles),
 * checks.ts (the comparison), report.ts (the printout), cli.ts.
 */
import { pathToFileURL } from 'node:url';
import { runSoakCli } from './soak/cli.ts';

export { startFaultProxy, type FaultProxy, type ProxyFault } from './soak/fault-proxy.ts';
export { clickHouseOutage, dynamoFaults, s3Faults, sourceFaults, type Outage } from './soak/recipes.ts';
export { startChainFaultProxy, CHAIN_FAULT_MIX, type ChainFaultKind, type ChainFaultProxy } from './soak/chain-faults.ts';
export { sqsFaults } from './soak/sqs-faults.ts';
export { allFaults, formatSoak, type SoakReport } from './soak/report.ts';
export { runSoak, SOAK_DEFAULTS, type SoakOptions } from './soak/run.ts';
export { soakCommand } from './soak/cli.ts';

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) await runSoakCli();
