import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ALL_APPROACHES, runBench } from './harness.ts';
import { consoleSummary } from './lib/report.ts';
import { checkTargets, generatedSection, positionsSection, writeBenchmarksDoc, writePositionsSection } from './lib/markdown.ts';
import { DEFAULT_POSITIONS_FILLS } from './lib/positions-part.ts';
import { commandFailed, reportFailures, stackText } from '#local/cli/failures.ts';
import { CLI_NUMBERS } from '#local/cli/numbers.ts';
import { FETCHER_MEMORY } from '#infra/function-memory.ts';
import { BENCH_PARTS } from './parts/index.ts';
import { targetLine } from './parts/part.ts';
import { runParts } from './parts/run.ts';

const BENCH_NAMES: readonly string[] = [...ALL_APPROACHES, ...BENCH_PARTS.map((p) => p.name)];

export const benchCommand = (): Command => BENCH_PARTS.reduce((command, part) => part.addOptions?.(command) ?? command, benchApproachesCommand());

const benchApproachesCommand = (): Command =>
  new Command('bench')
    .description('Benchmark the pipeline against the per-market and single-cursor approaches, on simulated sources with a fixed rate limit')
    .option('--fills <n>', 'fills in the simulated subgraph', CLI_NUMBERS.benchFills, 1_000_000)
    .option('--markets <n>', "markets (default: fills / 216, Polymarket's ratio)", CLI_NUMBERS.benchPopulation)
    .option('--seed <n>', 'dataset seed', CLI_NUMBERS.seed, 1)
    .option('--top-share <x>', 'share of all fills in the heaviest market', CLI_NUMBERS.share, 0.1)
    .option('--rate <n>', "source limit, requests per second (default: Goldsky's documented public limit, 50 per 10 s)", CLI_NUMBERS.requestsPerSecond, 5)
    .option('--latency-ms <n>', 'added to every source response', CLI_NUMBERS.latencyMs, 100)
    .option('--workers <n>', 'fetcher concurrency of the pipeline = workers of the per-market approach', CLI_NUMBERS.benchWorkers, 4)
    .option('--pages-per-object <n>', 'PAGES_PER_OBJECT for the pipeline and the fetcher (default: the pipeline default)', CLI_NUMBERS.pagesPerObject)
    .option(
      '--fetcher-heap-mib <n>',
      "cap the fetcher-alone runs at this much V8 heap (default: the deployed fetcher's cap, infra/function-memory.ts; 0: uncapped)",
      CLI_NUMBERS.heapMib,
      FETCHER_MEMORY.heapMib,
    )
    .option('--unpaced', 'do not tell the pipeline the limit (it then finds it through 429s)')
    .option('--loader-rows <n>', 'rows in the loader benchmark object', CLI_NUMBERS.benchRows, 1_000_000)
    .option('--incremental-share <x>', 'new fills for the incremental runs (pipeline, positions), as a share of the backfill', CLI_NUMBERS.share, 0.01)
    .option('--positions-fills <n>', 'fills the positions part generates in the engine', CLI_NUMBERS.benchRows, DEFAULT_POSITIONS_FILLS)
    .option('--positions-wallets <n>', 'wallet population of the positions part (default: fills / 20)', CLI_NUMBERS.benchPopulation)
    .option('--positions-markets <n>', "market population of the positions part (default: fills / 216, Polymarket's ratio)", CLI_NUMBERS.benchPopulation)
    .option('--only <list>', `comma-separated subset of ${BENCH_NAMES.join(',')}`)
    .option('--skip <list>', 'comma-separated approaches to leave out')
    .option('--out <file>', 'markdown file whose generated section is rewritten', 'docs/BENCHMARKS.md')
    .option('--no-write', 'print only; leave the markdown file alone')
    .option('--work-dir <dir>', 'scratch directory', '.bench/work')
    .option('--keep', 'keep the scratch directory')
    .option('--cpu-prof', 'write a V8 CPU profile of every child process to .bench/prof')
    .action(reportFailures(commandFailed('bench', stackText), (flags: Flags, command: Command) => main(flags, typedArgs(command))));

/** The arguments after `bench` as typed (the program stops reading its own options at the command's name). */
const typedArgs = (command: Command): string[] => (command.parent ? command.parent.args.slice(1) : command.args);

interface Flags {
  fills: number;
  markets?: number;
  seed: number;
  topShare: number;
  rate: number;
  latencyMs: number;
  workers: number;
  pagesPerObject?: number;
  unpaced?: boolean;
  fetcherHeapMib: number;
  loaderRows: number;
  incrementalShare: number;
  positionsFills: number;
  positionsWallets?: number;
  positionsMarkets?: number;
  only?: string;
  skip?: string;
  out: string;
  write: boolean;
  workDir: string;
  keep?: boolean;
  cpuProf?: boolean;
}

/** `args` are the command's own, as typed: the document records the command that produced its figures. */
async function main(f: Flags, args: string[]): Promise<void> {
  const list = (s?: string) =>
    s
      ? s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : [];
  const selected = new Set<string>(f.only ? list(f.only) : BENCH_NAMES);
  for (const x of list(f.skip)) selected.delete(x);
  for (const x of selected) if (!BENCH_NAMES.includes(x)) throw new InvalidArgumentError(`unknown approach ${x} (one of ${BENCH_NAMES.join(', ')})`);
  const approaches = new Set([...selected].filter((x) => (ALL_APPROACHES as readonly string[]).includes(x)));
  const parts = BENCH_PARTS.filter((p) => selected.has(p.name));
  const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
  if (approaches.size > 0) await benchApproaches(f, approaches, command);
  if (parts.length > 0) {
    const results = await runParts({
      parts,
      flags: f as unknown as Record<string, unknown>,
      seed: f.seed,
      workDir: f.workDir,
      keep: Boolean(f.keep),
      childExecArgv: f.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${resolve('.bench/prof')}`] : [],
      command,
      out: f.write ? resolve(f.out) : null,
      log: (line) => console.error(`[bench] ${line}`),
    });
    for (const { name, report } of results) {
      console.log(`\n${name}:`);
      for (const line of report.summary) console.log(`  ${line}`);
      for (const t of report.targets) console.log(`  ${targetLine(t)}`);
      if (!report.ok) process.exitCode = 1;
    }
  }
}

/** The approaches of bench/harness.ts, side by side on one simulated source. */
async function benchApproaches(f: Flags, approaches: Set<string>, command: string): Promise<void> {
  const profDir = resolve('.bench/prof');
  if (f.cpuProf) mkdirSync(profDir, { recursive: true });
  const report = await runBench({
    fills: f.fills,
    markets: f.markets,
    seed: f.seed,
    topShare: f.topShare,
    rate: f.rate,
    latencyMs: f.latencyMs,
    workers: f.workers,
    pagesPerObject: f.pagesPerObject,
    unpaced: f.unpaced,
    fetcherHeapMib: f.fetcherHeapMib || undefined,
    loaderRows: Math.min(f.loaderRows, f.fills),
    incrementalShare: f.incrementalShare,
    positionsFills: f.positionsFills,
    positionsWallets: f.positionsWallets,
    positionsMarkets: f.positionsMarkets,
    approaches,
    workDir: f.workDir,
    keep: f.keep,
    childExecArgv: f.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    log: (line) => console.error(`[bench] ${line}`),
  });
  console.log(consoleSummary(report));
  console.log('\ntargets:');
  for (const t of checkTargets(report)) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.measured}`);
  mkdirSync('.bench', { recursive: true });
  const json = join('.bench', `results-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(json, JSON.stringify(report, null, 2));
  console.error(`[bench] raw results: ${json}`);
  if (f.write) {
    // A run of the positions part alone rewrites only its own section.
    if (approaches.size === 1 && report.positions) writePositionsSection(resolve(f.out), positionsSection(report, command));
    else writeBenchmarksDoc(resolve(f.out), generatedSection(report, command));
    console.error(`[bench] wrote ${f.out}`);
  }
  if (report.runs.some((m) => !m.result.ok && !m.name.endsWith('lossy')) || report.positions?.ok === false) process.exitCode = 1;
}
