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

/**
 * Test files that run in the test process alone (in-process servers and
 * nodes, CDK synthesis, pure units): no embedded engine, no child process, no
 * AWS stand-in. They share their worker's process one after another, so the
 * modules they import (viem, the AWS CDK, the simulator) load once per worker
 * instead of once per file: about half their CPU time (2026-12-02, 65 of them:
 * 249 → 136 CPU seconds). Every other file gets a process of its own.
 */
const IN_SHARED_PROCESS = [
  'test/unit/**/*.test.ts',
  'test/chain/**/*.test.ts',
  'test/simulator/**/*.test.ts',
  'test/sources/**/*.test.ts',
  'test/property/**/*.test.ts',
  'test/cli/{diagnosis,hints,numbers,progress,retry-notices}.test.ts',
  'test/doctor/{chain,sources}.test.ts',
  'test/infra/{config,secrets,stack-resources,stack-security}.test.ts',
  'test/ops/{alarms,first-sync-estimate}.test.ts',
  'test/positions/{engine,reference}.test.ts',
];

export default defineConfig({
  test: {
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
    projects: [
      { extends: true, test: { name: 'shared-process', include: IN_SHARED_PROCESS, isolate: false } },
      { extends: true, test: { name: 'own-process', include: ['test/**/*.test.ts'], exclude: ['**/node_modules/**', ...IN_SHARED_PROCESS] } },
    ],
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
