import { InvalidArgumentError, Option } from 'commander';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const level = (v: string): LogLevel => {
  const upper = v.toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(upper)) throw new InvalidArgumentError(`must be one of ${LOG_LEVELS.join(', ')}`);
  return upper as LogLevel;
};

/**
 * `--log-level` for commands that run the handlers here. It falls back to
 * POWERTOOLS_LOG_LEVEL, the variable a Lambda reads, so the same setting
 * works in both places; the default keeps Lambda-style JSON logs from
 * tearing the progress bar.
 */
export function logLevelOption(fallback: LogLevel = 'WARN'): Option {
  return new Option('--log-level <level>', `the handlers' log level (${LOG_LEVELS.join(', ')})`).env('POWERTOOLS_LOG_LEVEL').argParser(level).default(fallback);
}
