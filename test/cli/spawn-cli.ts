import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The real CLI as a person starts it: `polymarket-sync <command>`, in a process of its own with its own environment. */
const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/polymarket-sync.js');

/** Far above what any of these commands takes when it works or fails properly, even on a loaded 2-core machine (a small simulated sync: about 25 s alone, 90 s at load 25): only a hang reaches it. */
export const FAILURE_BOUND_MS = 240_000;

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Settles when the process has exited; rejects if it outlives FAILURE_BOUND_MS (then it is killed). */
  exited: Promise<CliRun>;
  /** Resolves once stderr contains `text`. */
  stderrShows(text: string): Promise<void>;
}

/** `detached`: the CLI leads a process group of its own, as a shell's foreground job does (a test can then tell whether anything it started outlived it). */
export function startCli(args: string[], env: Record<string, string>, boundMs = FAILURE_BOUND_MS, { detached = false } = {}): CliProcess {
  // Only what the case sets, on top of a clean base: no CLICKHOUSE_URL or source URL leaks in from the caller.
  // TMPDIR is the test run's scratch directory (vitest.config.ts), so what the CLI makes there goes with the run.
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: tmpdir(), POWERTOOLS_LOG_LEVEL: 'ERROR' };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached });
  let stdout = '';
  let stderr = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of waiting.filter((x) => stderr.includes(x.text))) w.resolve();
  });
  const exited = new Promise<CliRun>((resolve, reject) => {
    const bound = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`polymarket-sync ${args.join(' ')} was still running after ${boundMs} ms\nstderr:\n${stderr}`));
    }, boundMs);
    // 'close' comes once the process has exited and both stdout and stderr have ended: no last bytes are missed.
    child.on('close', (code, signal) => {
      clearTimeout(bound);
      resolve({ code, signal, stdout, stderr });
    });
  });
  const stderrShows = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (stderr.includes(text)) return resolve();
      waiting.push({ text, resolve });
      exited.then(() => reject(new Error(`exited before stderr showed ${JSON.stringify(text)}:\n${stderr}`)), reject);
    });
  return { child, exited, stderrShows };
}

export const runCli = (args: string[], env: Record<string, string>, boundMs?: number): Promise<CliRun> => startCli(args, env, boundMs).exited;

/**
 * A port on this machine nothing listens on, below the kernel's ephemeral
 * range: a server that asks for any free port (listen(0), as the simulated
 * world's do) is never given it, so it stays refused while the test runs.
 * A port from listen(0) itself could be handed out again to such a server.
 */
export async function closedPort(): Promise<number> {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const below = Math.min(low ?? 32_768, 32_768);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (below - 10_000));
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!free) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
  throw new Error('no free port below the ephemeral range after 100 tries');
}

/** A provider that accepts every request and never answers: whatever waits on it waits until stopped. */
export async function silentProvider(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createHttpServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The fills a `sync --simulated` says its sources hold, and the fills its summary counts in ClickHouse. */
export function simulatedFills(run: CliRun): { expected: number; loaded: number } {
  const expected = /simulated sources: [\d,]+ markets, ([\d,]+) fills on chain/.exec(run.stderr)?.[1];
  const loaded = /in ClickHouse\s+([\d,]+) fills/.exec(run.stdout)?.[1];
  if (!expected || !loaded) throw new Error(`not a finished simulated sync:\n${run.stdout}\n${run.stderr}`);
  return { expected: Number(expected.replace(/,/g, '')), loaded: Number(loaded.replace(/,/g, '')) };
}
