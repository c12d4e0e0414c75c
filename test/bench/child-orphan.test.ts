import { describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * Ctrl-C ends the bench and its child processes together, so a child may find
 * its parent gone before it says anything: it must end quietly, not with an
 * unhandled EPIPE and its stack on the terminal.
 */
describe('a benchmark child whose parent is gone', () => {
  it('ends without a stack trace', async () => {
    const child = fork(fileURLToPath(new URL('../../bench/child.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The parent lets go before the child has loaded: its first message, `ready`, finds no one.
    child.disconnect();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr).not.toMatch(/EPIPE|ERR_IPC_CHANNEL_CLOSED/);
    expect(code).not.toBe(0);
  });
});
