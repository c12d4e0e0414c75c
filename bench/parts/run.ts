import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { machineInfo } from '#bench/lib/machine.ts';
import { writeNamedSection } from '#bench/lib/markdown.ts';
import type { BenchPart, PartReport } from './part.ts';

export interface PartsRun {
  parts: readonly BenchPart[];
  flags: Record<string, unknown>;
  seed: number;
  workDir: string;
  keep: boolean;
  childExecArgv: string[];
  command: string;
  /** The markdown file whose part sections are rewritten, or null to leave it alone. */
  out: string | null;
  log(line: string): void;
}

/** Runs each part in turn, each in a scratch directory of its own, and writes its section. */
export async function runParts(opts: PartsRun): Promise<{ name: string; report: PartReport }[]> {
  const results: { name: string; report: PartReport }[] = [];
  for (const part of opts.parts) {
    const workDir = join(resolve(opts.workDir), `part-${part.name}`);
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    opts.log(`part ${part.name}: starting`);
    try {
      const report = await part.run({
        flags: opts.flags,
        seed: opts.seed,
        workDir,
        keep: opts.keep,
        childExecArgv: opts.childExecArgv,
        machine: machineInfo(),
        command: opts.command,
        log: (line) => opts.log(`${part.name}: ${line}`),
      });
      results.push({ name: part.name, report });
      if (opts.out) writeNamedSection(opts.out, part.name, report.section);
    } finally {
      if (!opts.keep) rmSync(workDir, { recursive: true, force: true });
    }
  }
  return results;
}
