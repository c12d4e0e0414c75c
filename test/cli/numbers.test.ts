import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Command, type Option } from 'commander';
import { cliProgram } from '#local/cli/program.ts';

/**
 * Every numeric flag of the commands that size or pace a run has bounds (the
 * parsers of local/cli/numbers.ts): a flag added without them fails here.
 * The parsers themselves are tested in test/unit/bad-input.test.ts.
 */
const BOUNDED_COMMANDS = ['sync', 'replay', 'doctor', 'soak', 'bench'];
/** Flags that take text, not a number. */
const TEXT_FLAGS = new Set([
  '--from',
  '--to',
  '--since',
  '--stage',
  '--only',
  '--skip',
  '--out',
  '--work-dir',
  '--log-level',
  '--chain-profiles',
  '--chain-timestamps',
  '--analyst-data',
]);

const command = async (name: string): Promise<Command> => {
  const found = (await cliProgram()).commands.find((c) => c.name() === name);
  if (!found) throw new Error(`polymarket-sync has no ${name} command`);
  return found;
};
/** Options that take a value (not a switch, not a fixed choice such as --log-level). */
const valueOptions = (c: Command): Option[] => c.options.filter((o) => (o.required || o.optional) && !o.argChoices);

describe('numeric flags', () => {
  it.each(BOUNDED_COMMANDS)('%s: every numeric flag refuses a huge and a negative number', async (name) => {
    const numeric = valueOptions(await command(name)).filter((o) => !TEXT_FLAGS.has(o.long!));
    expect(numeric.length).toBeGreaterThan(0);
    const refuses = (o: Option, value: string) => {
      try {
        o.parseArg?.(value, undefined);
        return false;
      } catch (err) {
        return err instanceof InvalidArgumentError;
      }
    };
    const unbounded = numeric.filter((o) => !refuses(o, '1e12') || !refuses(o, '-1')).map((o) => o.long);
    expect(unbounded).toEqual([]);
  });

  it.each(BOUNDED_COMMANDS)('%s: every numeric default is inside its bounds', async (name) => {
    for (const o of valueOptions(await command(name)).filter((x) => typeof x.defaultValue === 'number')) {
      expect(o.parseArg!(String(o.defaultValue), undefined), o.long).toBe(o.defaultValue);
    }
  });

  it('doctor is a command of the program', async () => {
    expect((await command('doctor')).description()).toMatch(/^Check, before a long run, every source the sync would read/);
  });
});
