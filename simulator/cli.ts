/**
 * `npm run simulate -- --markets 2000 --fills 100000 --seed 1`: generates a
 * dataset, serves it as the orderbook subgraph and the CLOB market list, and
 * prints the env vars that point the sync at them. Runs until Ctrl-C.
 */
import { Command, InvalidArgumentError } from 'commander';
import { generateDataset } from './dataset.ts';
import { startSimulatedSources } from './index.ts';

const int =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
const share = (v: string): number => {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be between 0 and 1');
  return n;
};

const program = new Command()
  .name('simulate')
  .description('Serve a simulated Polymarket orderbook subgraph and CLOB market list')
  .option('--markets <n>', 'markets to generate', int('markets'), 1000)
  .option('--fills <n>', 'fills to generate', int('fills'), 50_000)
  .option('--seed <n>', 'generator seed', int('seed'), 1)
  .option('--hide <n>', 'leave this many markets out of the market list (unmapped tokens)', int('hide'), 0)
  .option('--throttle <share>', 'share of requests answered 429', share, 0)
  .option('--server-errors <share>', 'share of requests answered 500/502/503', share, 0)
  .option('--rate-limit <rps>', 'requests per second before 429s', int('rate-limit'))
  .parse();

const o = program.opts<{ markets: number; fills: number; seed: number; hide: number; throttle: number; serverErrors: number; rateLimit?: number }>();

const t0 = performance.now();
const dataset = generateDataset({ seed: o.seed, markets: o.markets, fills: o.fills });
console.log(`generated ${dataset.markets.length} markets, ${dataset.fills.length} fills in ${Math.round(performance.now() - t0)} ms (seed ${o.seed})`);

const sources = await startSimulatedSources({
  dataset,
  faults: { throttle: o.throttle, retryAfterSeconds: 1, serverError: o.serverErrors, seed: o.seed },
  ...(o.rateLimit ? { rateLimit: { perSecond: o.rateLimit } } : {}),
  markets: { hidden: dataset.markets.slice(0, o.hide).map((m) => m.conditionId) },
});
console.log(`subgraph: ${sources.subgraphUrl}`);
console.log(`markets:  ${sources.marketsUrl}/markets`);
console.log('\nPoint the sync at them:');
for (const [k, v] of Object.entries(sources.env)) console.log(`export ${k}=${v}`);
console.log('\nCtrl-C to stop.');

const stop = (): void => {
  const s = sources.subgraph.stats;
  console.log(`\nsubgraph: ${s.requests} requests, ${s.rowsReturned} rows; markets: ${sources.markets.stats.requests} requests`);
  void sources.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
