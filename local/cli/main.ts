import { cliProgram } from './program.ts';

// Each command's action reports its own failures and sets the exit status.
await cliProgram().parseAsync(process.argv);
