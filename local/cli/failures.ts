import { ConfigError } from '#shared/config.ts';
import { errorText, redactUrls } from '#shared/ops/status.ts';

/** How a command words an error that escaped it; the default names the command and the cause. */
export type FailureText = (err: unknown) => string;

/** A configuration mistake speaks for itself; anything else says which command failed and why. */
export const commandFailed =
  (command: string, detail: (err: unknown) => string = errorText): FailureText =>
  (err) =>
    err instanceof ConfigError ? err.message : `${command} failed: ${detail(err)}`;

/** The whole stack, for commands whose failures are the developer's to read (URLs still redacted: keys live in them). */
export const stackText = (err: unknown): string => (err instanceof Error ? redactUrls(err.stack ?? err.message) : String(err));

/**
 * Wraps a command's action so that an error ends it with one line on stderr
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
