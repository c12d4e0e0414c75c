import { readFileSync } from 'node:fs';
import { findPackageJSON } from 'node:module';
import { Command } from 'commander';
import { benchCommand } from '#bench/cli.ts';
import { soakCommand } from '#local/soak/cli.ts';
import { checkCommand } from './check.ts';
import { doctorCommand } from './doctor.ts';
import { setVerbose } from './failures.ts';
import { migrateCommand } from './migrate.ts';
import { queryCommand } from './query.ts';
import { redriveCommand } from './redrive.ts';
import { replayCommand } from './replay.ts';
import { statusCommand } from './status.ts';
import { syncCommand } from './sync.ts';

/** The version the package says it is (the closest package.json is the project's own). */
function packageVersion(): string {
  const path = findPackageJSON(import.meta.url);
  if (!path) throw new Error('polymarket-sync: no package.json above the program');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** `polymarket-sync <command>`: every command of the project, each defined in its own module. */
export function cliProgram(): Command {
  const program = new Command('polymarket-sync')
    .description('Keeps a ClickHouse warehouse in step with every Polymarket trade fill. Locally, or as operator of a deployed stage.')
    .version(packageVersion(), '-V, --version', 'print the version')
    // Options after a command's name are the command's own (bench records them as typed).
    .enablePositionalOptions()
    .showHelpAfterError('(polymarket-sync --help lists the commands)')
    .addCommand(syncCommand())
    .addCommand(queryCommand())
    .addCommand(checkCommand())
    .addCommand(statusCommand())
    .addCommand(redriveCommand())
    .addCommand(replayCommand())
    .addCommand(migrateCommand())
    .addCommand(doctorCommand())
    .addCommand(benchCommand())
    .addCommand(soakCommand());
  // Global, and accepted after a command's name too (`sync --verbose`), where people type it.
  program.option('--verbose', 'print the whole error, with its stack, when a command fails');
  for (const command of program.commands) command.option('--verbose', 'print the whole error, with its stack, when the command fails');
  program.hook('preAction', (_program, action) => setVerbose(Boolean(program.opts().verbose || action.opts().verbose)));
  return program;
}
