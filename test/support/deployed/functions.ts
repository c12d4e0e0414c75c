import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriverConfig } from './lambda-driver.ts';

const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lambda-driver.ts');

export type DriverMessage =
  { kind: 'ready' } | { kind: 'result'; value: unknown } | { kind: 'batch'; records: number; failed: number } | { kind: 'error'; message: string };

/** One deployed function running in its own Node process (see lambda-driver.ts). */
export interface RunningFunction {
  readonly name: string;
  readonly errors: string[];
  readonly batches: { records: number; failed: number }[];
  /** Resolves with the single invocation's result (invoke mode). */
  result(): Promise<unknown>;
  /** SQS mode: finish the batch in hand and exit. */
  stop(): Promise<void>;
  /** What the process wrote to stderr (logs at WARN and above, crashes). */
  stderr(): string;
}

/**
 * Forks the driver with exactly `env`: the process inherits nothing from
 * this one, not even its PATH or its Node flags (`execArgv: []`), so the
 * template's NODE_OPTIONS is all the runtime gets.
 */
export function startFunction(name: string, config: DriverConfig, env: Record<string, string>): RunningFunction {
  const child: ChildProcess = fork(DRIVER, [JSON.stringify(config)], {
    execPath: process.execPath,
    execArgv: [],
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  // A child that exits while the parent writes to it (stop after its last batch) is not an error of the test.
  child.on('error', () => undefined);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const errors: string[] = [];
  const batches: { records: number; failed: number }[] = [];
  let resolveResult!: (v: unknown) => void;
  let rejectResult!: (e: Error) => void;
  const result = new Promise<unknown>((res, rej) => {
    resolveResult = res;
    rejectResult = rej;
  });
  result.catch(() => undefined);
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  child.on('message', (m: DriverMessage) => {
    if (m.kind === 'result') resolveResult(m.value);
    else if (m.kind === 'batch') batches.push({ records: m.records, failed: m.failed });
    else if (m.kind === 'error') errors.push(m.message);
  });
  void exited.then((code) => rejectResult(new Error(`${name} exited (${code}) without a result: ${errors.join('; ')}\n${stderr.slice(-4000)}`)));
  return {
    name,
    errors,
    batches,
    result: () => result,
    async stop() {
      if (child.exitCode === null && child.connected) child.send('stop', (err) => void err);
      const code = await exited;
      if (code !== 0) throw new Error(`${name} exited with ${code}: ${errors.join('; ')}\n${stderr.slice(-4000)}`);
    },
    stderr: () => stderr,
  };
}
