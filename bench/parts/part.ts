import type { Command } from 'commander';
import type { MachineInfo } from '#bench/lib/machine.ts';
import type { TargetCheck } from '#bench/lib/markdown.ts';

/**
 * A part of `npm run bench` that stands on its own: it adds its own options,
 * runs its own measurements and writes its own section of docs/BENCHMARKS.md
 * between markers of its own, so a run of that part alone (`--only <name>`)
 * rewrites only that section.
 */
export interface BenchPart {
  /** The name `--only`/`--skip` take, and the section's marker name. */
  name: string;
  /** Adds the part's options to the bench command (prefix them with the part's name). */
  addOptions?(command: Command): Command;
  run(ctx: PartContext): Promise<PartReport>;
}

export interface PartContext {
  /** Every option the bench command parsed, the part's own included. */
  flags: Record<string, unknown>;
  seed: number;
  /** Scratch directory of this part; removed afterwards unless `keep`. */
  workDir: string;
  keep: boolean;
  /** Extra node flags for child processes (e.g. --cpu-prof). */
  childExecArgv: string[];
  machine: MachineInfo;
  /** The command line that produced the figures, for the section's run line. */
  command: string;
  log(line: string): void;
}

export interface PartReport {
  /** The section's markdown, without the markers: a `###` heading, the run line, tables, target lines. */
  section: string;
  /** Every target the issue sets for the part: met, missed (by how much, why, what would close it), or not measured. */
  targets: TargetCheck[];
  /** False when the part's own correctness checks failed (a wrong count, a lost row): the bench exits non-zero. */
  ok: boolean;
  /** Short lines for the console summary. */
  summary: string[];
}

/** A target line as the sections print it. */
export const targetLine = (t: TargetCheck): string => `- ${t.met === null ? '–' : t.met ? '✅ met' : '❌ missed'}: ${t.target}: ${t.measured}`;
