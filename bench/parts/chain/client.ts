import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runRequest, type ClientRequest, type ClientResult } from './client-run.ts';

export type { ClientRequest, ClientResult } from './client-run.ts';

type Reply = { ok: true; result: ClientResult; cpuMs: number } | { ok: false; message: string };

const script = fileURLToPath(new URL('./client-child.ts', import.meta.url));

/**
 * Runs each client (the source, or the scanner) in a child process of its
 * own, so the client's decoding and the provider proxy (with the EVM node)
 * do not share one event loop. Returns the result and the child's CPU time.
 */
export async function runClient(request: ClientRequest, execArgv: string[] = []): Promise<{ result: ClientResult; cpuMs: number }> {
  const child: ChildProcess = fork(script, [], { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const reply = new Promise<Reply>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Reply));
      child.once('exit', (code) => reject(new Error(`chain bench client exited (code ${code}) before answering`)));
    });
    child.send(request);
    const r = await reply;
    if (!r.ok) throw new Error(`chain bench client (${request.kind}) failed: ${r.message}`);
    return { result: r.result, cpuMs: r.cpuMs };
  } finally {
    if (child.exitCode === null) {
      child.kill();
      await once(child, 'exit').catch(() => undefined);
    }
  }
}

/** The same run in this process (the smoke test: its correctness, not its figures). */
export async function runClientHere(request: ClientRequest): Promise<{ result: ClientResult; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const result = await runRequest(request);
  const cpu = process.cpuUsage(cpu0);
  return { result, cpuMs: (cpu.user + cpu.system) / 1000 };
}
