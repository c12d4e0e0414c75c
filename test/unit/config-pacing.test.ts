import { describe, expect, it } from 'vitest';
import { ConfigError, readSettings, SOURCE_RATE_SETTINGS, SOURCE_SETTINGS } from '#shared/config.ts';
import { GOLDSKY_PUBLIC_REQUESTS_PER_SECOND, sourceAllowance } from '#shared/sources/registry.ts';

describe('source pacing settings', () => {
  const names = [...Object.values(SOURCE_RATE_SETTINGS), 'SOURCE_RATE_SHARED_BY'] as const;

  it.each(names.flatMap((name) => ['0', '-1', 'abc'].map((value) => [name, value] as const)))('refuses %s=%s and names it', (name, value) => {
    const read = () => readSettings(SOURCE_SETTINGS, { [name]: value });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(new RegExp(`${name} is invalid`));
  });

  it('refuses a fractional number of sharing processes', () => {
    expect(() => readSettings(SOURCE_SETTINGS, { SOURCE_RATE_SHARED_BY: '2.5' })).toThrow(/SOURCE_RATE_SHARED_BY is invalid/);
  });

  it('accepts fractional allowances, and leaves unset ones unset (not paced)', () => {
    const s = readSettings(SOURCE_SETTINGS, { SUBGRAPH_REQUESTS_PER_SECOND: '5', CHAIN_REQUESTS_PER_SECOND: '0.5', SOURCE_RATE_SHARED_BY: '4' });
    expect(s.SUBGRAPH_REQUESTS_PER_SECOND).toBe(5);
    expect(s.CHAIN_REQUESTS_PER_SECOND).toBe(0.5);
    expect(s.MARKETS_REQUESTS_PER_SECOND).toBeUndefined();
    expect(s.SOURCE_RATE_SHARED_BY).toBe(4);
  });

  it('shares nothing by default: one process, the whole allowance', () => {
    expect(readSettings(SOURCE_SETTINGS, {}).SOURCE_RATE_SHARED_BY).toBe(1);
    expect(readSettings(SOURCE_SETTINGS, { SOURCE_RATE_SHARED_BY: '' }).SOURCE_RATE_SHARED_BY).toBe(1);
  });

  it("paces the default Goldsky public endpoint at Goldsky's documented 50 requests per 10 s unless told otherwise", () => {
    expect(GOLDSKY_PUBLIC_REQUESTS_PER_SECOND).toBe(5);
    expect(sourceAllowance('subgraph', readSettings(SOURCE_SETTINGS, {}))).toBe(5);
    expect(sourceAllowance('subgraph', readSettings(SOURCE_SETTINGS, { SUBGRAPH_REQUESTS_PER_SECOND: '40' }))).toBe(40);
    expect(sourceAllowance('subgraph', readSettings(SOURCE_SETTINGS, { POLYMARKET_SUBGRAPH_URL: 'http://127.0.0.1:4000/gn' }))).toBeUndefined();
    expect(sourceAllowance('markets', readSettings(SOURCE_SETTINGS, {}))).toBeUndefined();
  });
});
