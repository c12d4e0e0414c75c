import { cliProgram } from './program.ts';
import { commandFailed, stackText } from './failures.ts';

const program = cliProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  // The commands report their own failures; this catches one that does not.
  console.error(commandFailed(program.args[0] ?? program.name(), stackText)(err));
  process.exitCode = 1;
}
