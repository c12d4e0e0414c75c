import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { basename } from 'node:path';
import type { TestProject } from 'vitest/node';

/** The per-run scratch directory vitest.config.ts makes and hands the workers as TMPDIR. */
export const SCRATCH_ROOT_PREFIX = 'pmsync-test-run-';

/**
 * Global set-up: nothing to prepare; at the end of the run the scratch directory goes, with all the
 * tests made in it. 22 of the suite's files alone leave 817 MB in 130,932 files (the engines'
 * parts), which took 20 s to remove, and the whole suite more. Vitest runs this teardown on its main
 * thread before it collects the workers' last replies, so a removal in-process held the run's end
 * for that long, and each time it outlasted vitest's teardown timeout it logged "Timeout
 * terminating forks worker". The removal runs in a process of its own that outlives the run.
 */
export default function scratchRoot(project: TestProject): () => void {
  return () => {
    const dir = project.config.env.TMPDIR;
    if (!dir || !basename(dir).startsWith(SCRATCH_ROOT_PREFIX)) return;
    const removal = spawn('rm', ['-rf', '--', dir], { detached: true, stdio: 'ignore' });
    removal.on('error', () => rmSync(dir, { recursive: true, force: true }));
    removal.unref();
  };
}
