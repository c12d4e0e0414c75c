import { CommanderError } from 'commander';
import { cliProgram } from './program.ts';
import { commandFailed } from './failures.ts';

/**
 * After a failure, once the command has closed what it started, the process
 * ends even if a library left a socket or timer behind (a source still
 * retrying, an unreferenced pool): a fatal error must never leave it hanging.
 */
const EXIT_GRACE_MS = 3_000;

const program = await cliProgram(process.argv.slice(2));
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help, --version or a refused flag: commander has printed what it had to say.
    process.exitCode = err.exitCode;
  } else {
    // The commands report their own failures; this catches one that does not.
    console.error(commandFailed(program.args[0] ?? program.name())(err));
    process.exitCode = 1;
  }
}
if (process.exitCode !== undefined && process.exitCode !== 0) setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
