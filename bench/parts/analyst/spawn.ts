import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AnalystSizeResult } from './measure.ts';
import type { AnalystChildMessage, AnalystChildRequest } from './child.ts';

const childScript = fileURLToPath(new URL('./child.ts', import.meta.url));

/** Runs one size in a fresh child process (bench/parts/analyst/child.ts under tsx) and returns its figures. */
export function runSizeInChild(req: AnalystChildRequest, execArgv: string[], log: (line: string) => void): Promise<AnalystSizeResult> {
  const proc = fork(childScript, [], {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  return new Promise((resolvePromise, reject) => {
    let result: AnalystSizeResult | undefined;
    let error: string | undefined;
    proc.on('message', (m: AnalystChildMessage) => {
      if (m.type === 'log') log(m.line);
      else if (m.type === 'result') result = m.result;
      else error = m.message;
    });
    proc.once('error', reject);
    proc.once('exit', (code) => {
      if (result) resolvePromise(result);
      else reject(new Error(error ?? `the analyst child exited (code ${code}) before answering`));
    });
    proc.send(req);
  });
}
