import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import type { Vitest } from 'vitest/node';
import { PathOrderSequencer } from './test/support/file-order.ts';
import { SCRATCH_ROOT_PREFIX } from './test/support/scratch-root.ts';

function fileOrder(value: string | undefined): 'forward' | 'reverse' | undefined {
  if (value === undefined || value === 'forward' || value === 'reverse') return value;
  throw new Error(`TEST_FILE_ORDER must be forward or reverse, not ${JSON.stringify(value)}`);
}
const order = fileOrder(process.env.TEST_FILE_ORDER);
// Every scratch directory a test makes (under os.tmpdir(): engines, queues, CLI data) lands in one
// directory per run, removed as the run ends (test/support/scratch-root.ts): a run leaves nothing behind.
const scratchRoot = mkdtempSync(join(tmpdir(), SCRATCH_ROOT_PREFIX));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/fast-check-seed.ts'],
    globalSetup: ['test/support/scratch-root.ts'],
    env: { TMPDIR: scratchRoot },
    // chDB binds one data directory per process, so test files that use the
    // embedded engine must not share a worker with one another.
    pool: 'forks',
    // Bounds that turn a hang into a failure, far above any healthy run even on
    // a loaded 2-core machine: no test may pass or fail with the machine's load.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: true,
    maxWorkers: 2,
    ...(order
      ? {
          sequence: {
            sequencer: class extends PathOrderSequencer {
              constructor(ctx: Vitest) {
                super(ctx, order as 'forward' | 'reverse');
              }
            },
          },
        }
      : {}),
  },
});
