import { readFileSync } from 'node:fs';
import { findPackageJSON } from 'node:module';
import { Command } from 'commander';
import { setVerbose } from './failures.ts';

/** The version the package says it is (the closest package.json is the project's own). */
function packageVersion(): string {
  const path = findPackageJSON(import.meta.url);
  if (!path) throw new Error('polymarket-sync: no package.json above the program');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/**
 * Every command of the project, each defined in its own module and imported
 * only when wanted: together they load some two thousand modules (the AWS
 * SDK, the engine, the simulator, the bench), about two seconds of start-up
 * that a refused flag or a `status` should not pay.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  sync: async () => (await import('./sync.ts')).syncCommand(),
  query: async () => (await import('./query.ts')).queryCommand(),
  check: async () => (await import('./check.ts')).checkCommand(),
  status: async () => (await import('./status.ts')).statusCommand(),
  redrive: async () => (await import('./redrive.ts')).redriveCommand(),
  replay: async () => (await import('./replay.ts')).replayCommand(),
  migrate: async () => (await import('./migrate.ts')).migrateCommand(),
  doctor: async () => (await import('./doctor.ts')).doctorCommand(),
  bench: async () => (await import('#bench/cli.ts')).benchCommand(),
  soak: async () => (await import('#local/soak/cli.ts')).soakCommand(),
};

/** The command a command line names: its first word that is not an option (the program's options all are switches). */
function commandNamed(args: readonly string[]): string | undefined {
  return args.find((arg) => !arg.startsWith('-'));
}

/**
 * `polymarket-sync <command>`. Given the words after the program's name, only
 * the command they name is loaded; without one (or with `help`, or a name
 * that is no command) all are, so the help lists them and a typo gets its
 * suggestion; `--version` alone needs none.
 */
export async function cliProgram(args?: readonly string[]): Promise<Command> {
  const named = args === undefined ? undefined : commandNamed(args);
  const versionOnly = named === undefined && args !== undefined && args.some((arg) => arg === '-V' || arg === '--version');
  const wanted = named !== undefined && named in COMMANDS ? [named] : versionOnly ? [] : Object.keys(COMMANDS);
  const commands = await Promise.all(wanted.map((name) => COMMANDS[name]!()));
  const program = new Command('polymarket-sync')
    .description('Keeps a ClickHouse warehouse in step with every Polymarket trade fill. Locally, or as operator of a deployed stage.')
    .version(packageVersion(), '-V, --version', 'print the version')
    // Options after a command's name are the command's own (bench records them as typed).
    .enablePositionalOptions()
    .showHelpAfterError('(polymarket-sync --help lists the commands)');
  for (const command of commands) program.addCommand(command);
  // Global, and accepted after a command's name too (`sync --verbose`), where people type it.
  program.option('--verbose', 'print the whole error, with its stack, when a command fails');
  for (const command of program.commands) command.option('--verbose', 'print the whole error, with its stack, when the command fails');
  // Help, --version and a refused flag end by throwing a CommanderError (main.ts sets the exit code from it), not by
  // process.exit(): an exit there cut short tsx's writes of the code it compiled, and every start compiled it again.
  for (const command of [program, ...program.commands]) command.exitOverride();
  program.hook('preAction', (_program, action) => setVerbose(Boolean(program.opts().verbose || action.opts().verbose)));
  return program;
}
