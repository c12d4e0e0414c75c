import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { generateDataset } from '#simulator/index.ts';
import { boundedInt, CLI_NUMBERS } from '#local/cli/numbers.ts';
import { load } from '#bench/lib/machine.ts';
import type { TargetCheck } from '#bench/lib/markdown.ts';
import { writeBigStagedObjects } from '#bench/lib/loader-inputs.ts';
import { MAX_ROWS_PER_INSERT } from '#adapters/clickhouse/load-staged.ts';
import { targetLine, type BenchPart, type PartContext, type PartReport } from './part.ts';
import type { LoadFigures, LoaderFastAnswer, LoaderFastRequest } from './loader-fast-child.ts';

/** The issue's targets (issue 12, point 3). */
export const LOADER_FAST_TARGETS = { rowsPerSecond: 150_000, memoryMiB: 256 };
const FILLS_PER_MARKET = 37_000_000 / 171_305;

export interface LoaderFastOptions {
  rows: number;
  seed: number;
  maxRowsPerInsert: number;
}

export interface LoaderFastRun {
  format: 'v1' | 'v2';
  target: 'embedded' | 'server';
  figures: LoadFigures;
  /** `count()` and `count() FINAL` of the table after the load. */
  count: number;
  countFinal: number;
  gzipBytes: number;
  /** CPU time of the engine's process over a server-path load (0 when embedded: the loader's figure holds it). */
  engineCpuMs: number;
  loadBefore: string;
  loadAfter: string;
}

export interface LoaderFastFigures {
  options: LoaderFastOptions;
  rows: number;
  runs: LoaderFastRun[];
}

const childScript = fileURLToPath(new URL('./loader-fast-child.ts', import.meta.url));

class Child {
  private constructor(private readonly proc: ChildProcess) {}
  static async start(execArgv: string[]): Promise<Child> {
    const proc = fork(childScript, [], {
      execArgv: ['--import', 'tsx', ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
    });
    const child = new Child(proc);
    await child.next();
    return child;
  }
  private next(): Promise<LoaderFastAnswer> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the loader-fast child exited (code ${code}) before answering`));
      this.proc.once('exit', onExit);
      this.proc.once('message', (m: LoaderFastAnswer) => {
        this.proc.off('exit', onExit);
        if (m.type === 'error') reject(new Error(`loader-fast child: ${m.message}`));
        else resolve(m);
      });
    });
  }
  async ask<T extends LoaderFastAnswer['type']>(req: LoaderFastRequest, type: T): Promise<Extract<LoaderFastAnswer, { type: T }>> {
    this.proc.send(req);
    const m = await this.next();
    if (m.type !== type) throw new Error(`loader-fast child answered ${m.type}, not ${type}`);
    return m as Extract<LoaderFastAnswer, { type: T }>;
  }
  async stop(): Promise<void> {
    const exited = once(this.proc, 'exit').catch(() => undefined);
    this.proc.kill();
    await exited;
  }
}

/** Today's format and format 2, each loaded into a fresh database embedded and over HTTP, every load in a fresh process. */
export async function measureLoaderFast(o: LoaderFastOptions, workDir: string, execArgv: string[], log: (line: string) => void): Promise<LoaderFastFigures> {
  const ds = generateDataset({ seed: o.seed, markets: Math.max(1, Math.round(o.rows / FILLS_PER_MARKET)), fills: o.rows, topShare: 0.1 });
  log(`writing one object of ${o.rows.toLocaleString('en-US')} fills in each format`);
  const files = await writeBigStagedObjects(ds, join(workDir, 'staged'), o.rows);
  const runs: LoaderFastRun[] = [];
  const engine = await Child.start(execArgv);
  try {
    const { url } = await engine.ask({ role: 'engine', dataDir: join(workDir, 'server'), databases: ['server_v1', 'server_v2'] }, 'engine');
    for (const target of ['embedded', 'server'] as const) {
      for (const format of ['v1', 'v2'] as const) {
        const file = format === 'v1' ? files.v1 : files.v2;
        const database = `${target}_${format}`;
        const loadBefore = load();
        log(`${format} → ${target}: running (load ${loadBefore})`);
        const loader = await Child.start(execArgv);
        const engineCpuBefore = (await engine.ask({ role: 'cpu' }, 'cpu')).cpuMs;
        let figures: LoadFigures;
        try {
          const req: LoaderFastRequest =
            target === 'embedded'
              ? { role: 'load', file, target, dataDir: join(workDir, `embedded-${format}`), database, maxRowsPerInsert: o.maxRowsPerInsert }
              : { role: 'load', file, target, url, database, maxRowsPerInsert: o.maxRowsPerInsert };
          figures = (await loader.ask(req, 'load')).figures;
        } finally {
          await loader.stop();
        }
        const engineCpuMs = target === 'server' ? (await engine.ask({ role: 'cpu' }, 'cpu')).cpuMs - engineCpuBefore : 0;
        const c = target === 'embedded' ? { count: figures.count!, countFinal: figures.countFinal! } : await engine.ask({ role: 'count', database }, 'count');
        const run: LoaderFastRun = { format, target, figures, ...c, gzipBytes: statSync(file).size, engineCpuMs, loadBefore, loadAfter: load() };
        log(
          `${format} → ${target}: ${n(rps(run))} rows/s, peak RSS ${mib(figures.maxRssBytes)}, ${run.count === files.rows && run.countFinal === files.rows ? 'complete' : 'NOT complete'}`,
        );
        runs.push(run);
      }
    }
  } finally {
    await engine.stop();
  }
  return { options: o, rows: files.rows, runs };
}

const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const mib = (b: number) => `${n(b / 2 ** 20)} MiB`;
const rps = (r: LoaderFastRun) => r.figures.rows / (Math.max(r.figures.wallMs, 1) / 1000);
/** CPU µs a row, loader and engine together. */
const cpuPerRow = (r: LoaderFastRun) => ((r.figures.cpuMs + r.engineCpuMs) * 1000) / Math.max(1, r.figures.rows);
/** What the CPU spent allows on the machine's cores with nothing else running: rows / (CPU time / cores). */
const idleRps = (r: LoaderFastRun, cores: number) => r.figures.rows / ((r.figures.cpuMs + r.engineCpuMs) / 1000 / cores);
const complete = (f: LoaderFastFigures, r: LoaderFastRun) => r.figures.rows === f.rows && r.count === f.rows && r.countFinal === f.rows;

export function loaderFastTargets(f: LoaderFastFigures, cores: number): TargetCheck[] {
  const get = (format: 'v1' | 'v2', target: 'embedded' | 'server') => f.runs.find((r) => r.format === format && r.target === target);
  const out: TargetCheck[] = [];
  const emb = get('v2', 'embedded');
  const srv = get('v2', 'server');
  const old = get('v1', 'embedded');
  const T = LOADER_FAST_TARGETS.rowsPerSecond;
  const loaderShare = srv ? (srv.figures.cpuMs * 1000) / Math.max(1, srv.figures.rows) : null;
  const budget = (cores * 1e6) / T;
  const why = (r: LoaderFastRun) =>
    `why: the load costs ${n(cpuPerRow(r), 1)} µs of CPU a row, loader and engine together, so even with the ${cores} cores to itself it would reach ` +
    `${n(idleRps(r, cores))} rows/s, and this machine was shared (load averages in the table); ` +
    (loaderShare === null
      ? ''
      : `the loader's own share (zstd, the line check, sending) is ${n(loaderShare, 1)} µs a row (its process on the server path), the engine's the rest ` +
        '(parsing, sorting by the key, a part per month, compression, the by_block and by_token projections, the fill_id bloom index); ') +
    `what would close it: ${n(T)} rows/s needs ≤ ${n(budget, 1)} µs a row on ${cores} cores: an engine on cores of its own ` +
    "(a server: then the loader's share alone bounds it), or less work a row in the engine (the table's projections, index and compressed columns)";
  if (emb) {
    const x = rps(emb);
    out.push({
      target: `loader ≥ ${n(T)} rows/s into the embedded engine (1 M-row object, format 2)`,
      measured: `${n(x)} rows/s wall, ${n(idleRps(emb, cores))} rows/s on idle cores by its CPU (${n(cpuPerRow(emb), 1)} µs a row; ${n(x / Math.max(1, old ? rps(old) : x), 1)}x today's format-1 path at ${old ? `${n(rps(old))} wall, ${n(idleRps(old, cores))} by CPU` : '?'})${x >= T ? '' : `; missed by ${n(T - x)} rows/s (${n((100 * (T - x)) / T)}%); ${why(emb)}`}`,
      met: x >= T && complete(f, emb),
    });
  }
  if (srv && emb) {
    const x = rps(srv);
    out.push({
      target: 'server path (@clickhouse/client over HTTP) ≥ the embedded figure',
      measured: `${n(x)} rows/s vs ${n(rps(emb))} embedded (by CPU on idle cores: ${n(idleRps(srv, cores))} vs ${n(idleRps(emb, cores))})${x >= rps(emb) ? '' : `; missed by ${n(rps(emb) - x)} rows/s: why: the HTTP front is chDB too, on the same ${cores} cores, opens a session per request and reads each insert's body whole before the engine parses it, where a server streams it; what would close it: a real server on cores of its own`}`,
      met: x >= rps(emb) && complete(f, srv),
    });
  }
  if (srv) {
    const rss = srv.figures.maxRssBytes / 2 ** 20;
    out.push({
      target: `loader memory < ${LOADER_FAST_TARGETS.memoryMiB} MiB (server path: the loader's process alone, as in Lambda)`,
      measured: `${mib(srv.figures.maxRssBytes)} peak RSS, ${mib(srv.figures.peakJsBytes)} JS heap+external`,
      met: rss < LOADER_FAST_TARGETS.memoryMiB,
    });
  }
  if (emb) {
    const js = emb.figures.peakJsBytes / 2 ** 20;
    out.push({
      target: `loader memory < ${LOADER_FAST_TARGETS.memoryMiB} MiB (embedded: the loader's JS heap; the engine shares the process)`,
      measured: `${mib(emb.figures.peakJsBytes)} JS heap+external; process RSS ${mib(emb.figures.maxRssBytes)} of which ${mib(emb.figures.baselineRssBytes)} before the load (chDB's library and engine)`,
      met: js < LOADER_FAST_TARGETS.memoryMiB,
    });
  }
  return out;
}

export function loaderFastSection(f: LoaderFastFigures, ctx: PartContext, targets: TargetCheck[]): string {
  const m = ctx.machine;
  const rows = f.runs.map((r) =>
    [
      r.format === 'v1' ? "format 1 (today's: gzip JSON lines → JSONEachRow)" : 'format 2 (zstd, fills as TSV → TabSeparated)',
      r.target === 'embedded' ? 'embedded chDB (same process)' : 'server path (@clickhouse/client → HTTP front → chDB)',
      mib(r.gzipBytes),
      `${n(r.figures.wallMs / 1000, 1)} s`,
      n(rps(r)),
      `${n(r.figures.cpuMs / 1000, 1)} s / ${r.target === 'server' ? `${n(r.engineCpuMs / 1000, 1)} s` : 'in the same process'}`,
      n(cpuPerRow(r), 1),
      n(idleRps(r, ctx.machine.cores)),
      mib(r.figures.baselineRssBytes),
      mib(r.figures.maxRssBytes),
      mib(r.figures.peakJsBytes),
      complete(f, r) ? 'yes' : `NO (${n(r.count)} / ${n(r.countFinal)} FINAL)`,
      `${r.loadBefore} → ${r.loadAfter}`,
    ].join(' | '),
  );
  return [
    `### Loader: staged format 2 against today's (one object of ${n(f.rows)} fills)`,
    '',
    `Run ${new Date().toISOString()} with \`${ctx.command}\` on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.node}, shared with other engineers' work (load averages before → after each load). ` +
      `Each load is \`loadStagedObject\` in a fresh process, parts of ${n(f.options.maxRowsPerInsert)} rows; the server path's loader process holds no engine (its RSS is the Lambda's), the engine runs behind the HTTP front in another process. ` +
      "Complete = `count()` and `count() FINAL` both equal the object's rows.",
    '',
    '| staged object | into | object size | wall | rows/s | CPU loader / engine process | CPU µs a row | rows/s the CPU allows on idle cores | RSS before load | peak RSS | peak JS heap+external | complete | load before → after |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r} |`),
    '',
    `"rows/s the CPU allows on idle cores" is the rows over the CPU time the load took (loader and engine processes, every thread) divided by the ${ctx.machine.cores} cores: ` +
      "what the same work would reach with the cores to itself, a figure the other engineers' load on this machine does not move much; wall-clock rows/s is what it reached here.",
    '',
    ...targets.map(targetLine),
  ].join('\n');
}

export const loaderFastPart: BenchPart = {
  name: 'loader-fast',
  addOptions: (command: Command) =>
    command
      .option('--loader-fast-rows <n>', 'loader-fast part: fills in the staged object', CLI_NUMBERS.benchRows, 1_000_000)
      .option('--loader-fast-part-rows <n>', 'loader-fast part: rows an insert (maxRowsPerInsert)', boundedInt(1, 10_000_000), MAX_ROWS_PER_INSERT),
  async run(ctx: PartContext): Promise<PartReport> {
    const options: LoaderFastOptions = {
      rows: Number(ctx.flags.loaderFastRows ?? 1_000_000),
      seed: ctx.seed,
      maxRowsPerInsert: Number(ctx.flags.loaderFastPartRows ?? MAX_ROWS_PER_INSERT),
    };
    const figures = await measureLoaderFast(options, ctx.workDir, ctx.childExecArgv, ctx.log);
    const targets = loaderFastTargets(figures, ctx.machine.cores);
    const summary = figures.runs.map(
      (r) =>
        `${r.format} → ${r.target}: ${n(rps(r))} rows/s, peak RSS ${mib(r.figures.maxRssBytes)}, JS ${mib(r.figures.peakJsBytes)}${complete(figures, r) ? '' : ' NOT complete'}`,
    );
    return { section: loaderFastSection(figures, ctx, targets), targets, ok: figures.runs.every((r) => complete(figures, r)), summary };
  },
};
