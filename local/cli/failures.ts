import { redactUrls } from '#shared/ops/status.ts';
import { failureMessage } from './diagnosis.ts';

/** How a command words an error that escaped it; the default names the command, the service, the cause and what to do. */
export type FailureText = (err: unknown) => string;

let verbose = false;

/** Set once from the global `--verbose` before a command runs: stacks are shown only then. */
export function setVerbose(on: boolean): void {
  verbose = on;
}

/** The whole stack, for commands whose failures are the developer's to read (URLs still redacted: keys live in them). */
export const stackText = (err: unknown): string => (err instanceof Error ? redactUrls(err.stack ?? err.message) : String(err));

/**
 * A configuration mistake speaks for itself; a recognised failure names the
 * service, its host, the cause and the next step; anything else is one line
 * (`detail`, whose stack, if it gives one, waits for --verbose).
 */
export const commandFailed =
  (command: string, detail?: (err: unknown) => string): FailureText =>
  (err) =>
    failureMessage(command, err, verbose, detail === stackText ? undefined : detail);

/**
 * Wraps a command's action so that an error ends it with a message on stderr
 * and exit status 1, instead of an unhandled rejection and a stack trace.
 */
export function reportFailures<A extends unknown[]>(text: FailureText, action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (err) {
      console.error(text(err));
      process.exitCode = 1;
    }
  };
}
