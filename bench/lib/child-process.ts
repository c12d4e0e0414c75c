import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ApproachRequest, ApproachResult, ChildMemory, ChildMessage, ParentMessage } from '#bench/lib/types.ts';

/** The benchmark's child processes: each approach runs in bench/child.ts, spoken to over IPC. */

const childScript = fileURLToPath(new URL('../child.ts', import.meta.url));

/** Starts bench/child.ts under tsx, with IPC. */
function spawnChild(execArgv: string[]): ChildProcess {
  return fork(childScript, [], {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
}

function nextMessage(child: ChildProcess): Promise<ChildMessage> {
  return new Promise((resolvePromise, reject) => {
    const onMessage = (m: ChildMessage) => {
      cleanup();
      resolvePromise(m);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`benchmark child exited (code ${code}) before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Children started and not yet exited, for killLiveChildren. */
const live = new Set<ChildProcess>();

export class Child {
  private constructor(private readonly proc: ChildProcess) {}

  static async start(execArgv: string[]): Promise<Child> {
    const proc = spawnChild(execArgv);
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    const m = await nextMessage(proc);
    if (m.type !== 'ready') throw new Error(`unexpected first message ${m.type}`);
    return new Child(proc);
  }

  async run(request: ApproachRequest): Promise<ApproachResult> {
    this.proc.send({ type: 'run', request } satisfies ParentMessage);
    const m = await nextMessage(this.proc);
    if (m.type === 'error') throw new Error(`${request.kind} failed in its child: ${m.message}`);
    if (m.type !== 'result') throw new Error(`unexpected message ${m.type}`);
    return m.result;
  }

  async exit(): Promise<ChildMemory> {
    this.proc.send({ type: 'exit' } satisfies ParentMessage);
    const m = await nextMessage(this.proc);
    if (m.type !== 'memory') throw new Error(`unexpected message ${m.type}`);
    await once(this.proc, 'exit').catch(() => undefined);
    return m.memory;
  }
}

/** Kills every child still running (a part that failed midway leaves its children behind). */
export function killLiveChildren(): void {
  for (const proc of live) proc.kill();
}
