import { rmSync } from 'node:fs';
import { basename } from 'node:path';
import type { TestProject } from 'vitest/node';

/** The per-run scratch directory vitest.config.ts makes and hands the workers as TMPDIR. */
export const SCRATCH_ROOT_PREFIX = 'pmsync-test-run-';

/** Global set-up: nothing to prepare; at the end of the run the scratch directory goes, with all the tests made in it. */
export default function scratchRoot(project: TestProject): () => void {
  return () => {
    const dir = project.config.env.TMPDIR;
    if (dir && basename(dir).startsWith(SCRATCH_ROOT_PREFIX)) rmSync(dir, { recursive: true, force: true });
  };
}
