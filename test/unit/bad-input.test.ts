import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { ConfigError, isAllowedClickHouseUrl, readSettings, CLICKHOUSE_SETTINGS } from '#shared/config.ts';
import { parseOperatorWindow, parseSince, WindowError } from '#shared/ops/window.ts';
import { parseReplayWindow, ReplayError } from '#shared/ops/replay.ts';
import { boundedInt, boundedIntList, boundedNumber, CLI_NUMBERS } from '#local/cli/numbers.ts';

const CHAIN_ONLY = ['markets', 'chain'] as const;
const WITH_SUBGRAPH = ['markets', 'subgraph', 'chain'] as const;

describe('an operator window (sync --from/--to, replay)', () => {
  it('passes a window of dates or of block numbers, and no window at all', () => {
    expect(parseOperatorWindow({ from: '2026-01-01', to: '2026-02-01T00:00:00Z' }, { sources: WITH_SUBGRAPH })).toEqual({
      from: '2026-01-01',
      to: '2026-02-01T00:00:00Z',
    });
    expect(parseOperatorWindow({ from: ' 100 ', to: '100' }, { sources: CHAIN_ONLY })).toEqual({ from: '100', to: '100' });
    expect(parseOperatorWindow({ to: '2026-02-01' }, { sources: CHAIN_ONLY })).toEqual({ to: '2026-02-01' });
    expect(parseOperatorWindow({}, { sources: CHAIN_ONLY })).toBeUndefined();
  });

  it.each([
    [{ from: '200', to: '100' }, /--from 200 is after --to 100: the window is reversed/],
    [{ from: '2026-02-01', to: '2026-01-01' }, /--from 2026-02-01 is after --to 2026-01-01/],
    // Compared as big integers, not as strings ("99" > "100") or doubles.
    [{ from: '90000000000000000001', to: '90000000000000000000' }, /reversed/],
  ])('refuses a reversed window %j', (flags, message) => {
    expect(() => parseOperatorWindow(flags, { sources: CHAIN_ONLY })).toThrow(WindowError);
    expect(() => parseOperatorWindow(flags, { sources: CHAIN_ONLY })).toThrow(message);
  });

  it('does not mistake a lexically larger block number for a later one', () => {
    expect(parseOperatorWindow({ from: '99', to: '100' }, { sources: CHAIN_ONLY })).toEqual({ from: '99', to: '100' });
  });

  it.each([
    [{ from: '33605403' }, /--from 33605403 is a block number, but the subgraph is enabled.*give ISO dates/],
    [{ to: '40000000' }, /--to 40000000 is a block number/],
    [{ from: '1', to: '2' }, /--from 1 is a block number/],
  ])('refuses a block number %j while the subgraph is enabled', (flags, message) => {
    expect(() => parseOperatorWindow(flags, { sources: WITH_SUBGRAPH })).toThrow(message);
    // The same window is fine for the chain alone.
    expect(parseOperatorWindow(flags, { sources: CHAIN_ONLY })).toEqual(flags);
  });

  it.each([
    [{ from: 'yesterday' }, /--from "yesterday" is neither an ISO date/],
    [{ to: '-5' }, /--to "-5" is neither/],
    [{ from: '2026-13-45' }, /neither an ISO date/],
    [{ from: '0x10' }, /neither/],
    [{ from: '2026-01-01', to: '100' }, /both be dates or both be block numbers/],
  ])('refuses a bound that is neither a date nor a block number, or a mixed window: %j', (flags, message) => {
    expect(() => parseOperatorWindow(flags, { sources: CHAIN_ONLY })).toThrow(message);
  });

  it('refuses --since together with --from or --to', () => {
    expect(() => parseOperatorWindow({ since: '30d', from: '2026-01-01' }, { sources: CHAIN_ONLY })).toThrow(/--since .* does not combine with --from\/--to/);
    expect(() => parseOperatorWindow({ since: '30d', to: '2026-01-01' }, { sources: CHAIN_ONLY })).toThrow(WindowError);
    expect(parseOperatorWindow({ since: '30d' }, { sources: CHAIN_ONLY })).toBeUndefined();
  });

  it('replay keeps its rules through the shared validator: a window is required, and ReplayError is the validator error', () => {
    expect(() => parseReplayWindow(undefined, undefined, CHAIN_ONLY)).toThrow(/a replay needs --from and\/or --to/);
    expect(() => parseReplayWindow('5', '4', CHAIN_ONLY)).toThrow(ReplayError);
    expect(() => parseReplayWindow('5', undefined, WITH_SUBGRAPH)).toThrow(/subgraph is enabled/);
    expect(parseReplayWindow('4', '5', CHAIN_ONLY)).toEqual({ from: '4', to: '5' });
  });
});

describe('--since', () => {
  const now = Date.parse('2026-12-01T03:30:15.750Z');

  it('takes a duration back from now, in whole seconds', () => {
    expect(parseSince('30d', now)).toEqual({ iso: '2026-11-01T03:30:15Z', unixSeconds: Date.parse('2026-11-01T03:30:15Z') / 1000 });
    expect(parseSince('12h', now).iso).toBe('2026-11-30T15:30:15Z');
    expect(parseSince('2w', now).iso).toBe('2026-11-17T03:30:15Z');
  });

  it('takes an ISO date or instant', () => {
    expect(parseSince('2026-11-01', now)).toEqual({ iso: '2026-11-01T00:00:00Z', unixSeconds: Date.parse('2026-11-01T00:00:00Z') / 1000 });
    expect(parseSince('2026-11-01T12:00:00.900Z', now).iso).toBe('2026-11-01T12:00:00Z');
  });

  it.each([
    ['30', /neither an ISO date .* nor a duration/],
    ['30m', /neither/],
    ['-3d', /neither/],
    ['0d', /neither/],
    ['soon', /neither/],
    ['2027-01-01', /is not in the past/],
    ['2026-12-01T03:30:16Z', /is not in the past/],
    ['4000d', /more than ten years/],
  ])('refuses %s', (value, message) => {
    expect(() => parseSince(value, now)).toThrow(WindowError);
    expect(() => parseSince(value, now)).toThrow(message);
  });
});

describe('CLICKHOUSE_URL', () => {
  it.each(['https://ch.example.com:8443', 'http://localhost:8123', 'http://127.0.0.1:8123/', 'http://[::1]:8123', 'https://user:pw@ch.example.com'])(
    'accepts %s',
    (url) => {
      expect(isAllowedClickHouseUrl(url)).toBe(true);
      expect(readSettings(CLICKHOUSE_SETTINGS, { CLICKHOUSE_URL: url }).CLICKHOUSE_URL).toBe(url);
    },
  );

  it.each(['http://ch.example.com:8123', 'http://10.0.0.5:8123', 'http://localhost.example.com:8123', 'http://127.0.0.2:8123', 'ftp://localhost', 'not a url'])(
    'refuses %s with a ConfigError that names the variable and the rule',
    (url) => {
      expect(isAllowedClickHouseUrl(url)).toBe(false);
      expect(() => readSettings(CLICKHOUSE_SETTINGS, { CLICKHOUSE_URL: url })).toThrow(ConfigError);
      expect(() => readSettings(CLICKHOUSE_SETTINGS, { CLICKHOUSE_URL: url })).toThrow(/CLICKHOUSE_URL is invalid/);
    },
  );

  it('says why plain http is refused', () => {
    expect(() => readSettings(CLICKHOUSE_SETTINGS, { CLICKHOUSE_URL: 'http://ch.example.com:8123' })).toThrow(/must be https \(plain http only for localhost/);
  });
});

describe('CLI numbers', () => {
  it('accepts the range and digit groups, and refuses outside it with the range in the message', () => {
    const p = boundedInt(1, 64);
    expect(p('1')).toBe(1);
    expect(p(' 64 ')).toBe(64);
    expect(boundedInt(1, 10_000_000)('1_000_000')).toBe(1_000_000);
    for (const bad of ['0', '65', '-1', '1.5', '', 'four', '1e3', 'Infinity']) {
      expect(() => p(bad), bad).toThrow(InvalidArgumentError);
      expect(() => p(bad), bad).toThrow('must be a whole number from 1 to 64');
    }
  });

  it('bounds fractional numbers too', () => {
    const share = boundedNumber(0, 1);
    expect(share('0.25')).toBe(0.25);
    expect(() => share('1.5')).toThrow('must be a number from 0 to 1');
    expect(() => share('NaN')).toThrow(InvalidArgumentError);
  });

  it('bounds each number of a comma-separated list', () => {
    const sizes = boundedIntList(100, 1_000_000_000);
    expect(sizes('10_000_000, 100000000')).toEqual([10_000_000, 100_000_000]);
    for (const bad of ['50', '1e12', '100,', '-1', ''])
      expect(() => sizes(bad), bad).toThrow('must be comma-separated whole numbers, each from 100 to 1,000,000,000');
  });

  it('gives every numeric flag a finite upper bound that accepts its default', () => {
    const defaults: Record<keyof typeof CLI_NUMBERS, string> = {
      concurrency: '4',
      markets: '40',
      fills: '30000',
      chainFills: '10000',
      seed: '1',
      outageMs: '20000',
      faultShare: '0.05',
      benchFills: '1000000',
      benchPopulation: '5000',
      benchWorkers: '4',
      pagesPerObject: '20',
      heapMib: '96',
      benchRows: '1000000',
      requestsPerSecond: '5',
      latencyMs: '100',
      share: '0.1',
    };
    for (const [name, parse] of Object.entries(CLI_NUMBERS)) {
      expect(parse(defaults[name as keyof typeof CLI_NUMBERS]), name).toBe(Number(defaults[name as keyof typeof CLI_NUMBERS]));
      expect(() => parse('1e12'), name).toThrow(InvalidArgumentError);
    }
  });
});
