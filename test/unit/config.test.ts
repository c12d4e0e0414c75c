import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, readSettings, SOURCE_SETTINGS } from '#shared/config.ts';

const run = promisify(execFile);

describe('configuration', () => {
  it('uses the public endpoints when nothing is set', () => {
    const s = readSettings(SOURCE_SETTINGS, {});
    expect(s.POLYMARKET_SUBGRAPH_URL).toMatch(/^https:\/\/api\.goldsky\.com\/.*orderbook-subgraph/);
    // V1 history comes from the chain by default; the subgraph is opt-in.
    expect(s.SYNC_SOURCES).toEqual(['markets', 'chain']);
    expect(s.CHAIN_V1_FILLS).toBe(true);
    expect(s.CHAIN_ACTIVITY).toBe(true);
  });

  it.each([
    ['POLYMARKET_SUBGRAPH_URL', 'not a url'],
    ['SYNC_SOURCES', 'subgraph,moon'],
    ['SUBGRAPH_PAGE_SIZE', '5000'],
    ['CHAIN_EXCHANGES', '0x1234'],
    ['CHAIN_USE_FINALIZED', 'maybe'],
    ['CHAIN_V1_FILLS', 'yes'],
    ['CHAIN_ADAPTERS', '0xnot-an-address'],
    ['SOURCE_TIMEOUT_MS', '-1'],
  ])('refuses a wrong %s and names it', (name, value) => {
    expect(() => readSettings(SOURCE_SETTINGS, { [name]: value })).toThrow(ConfigError);
    expect(() => readSettings(SOURCE_SETTINGS, { [name]: value })).toThrow(new RegExp(`${name} is invalid`));
  });

  it('names every missing required setting at once', () => {
    expect(() => readSettings(['SHARD_QUEUE_URL', 'STATE_TABLE', 'STAGING_BUCKET'], {})).toThrow(
      /SHARD_QUEUE_URL is required but not set; STATE_TABLE is required but not set; STAGING_BUCKET is required but not set/,
    );
  });

  it('refuses a database name that is not a plain identifier (it is spliced into SQL)', () => {
    expect(() => readSettings(['CLICKHOUSE_DATABASE'], { CLICKHOUSE_DATABASE: 'x; DROP TABLE y' })).toThrow(/CLICKHOUSE_DATABASE is invalid/);
  });

  it('makes `npm run sync` fail at start with a message naming the setting', async () => {
    const err = await run(process.execPath, ['bin/polymarket-sync.js', 'sync'], {
      env: { ...process.env, POLYMARKET_SUBGRAPH_URL: 'ftp://nowhere', SYNC_DATA_DIR: mkdtempSync(join(tmpdir(), 'pmsync-config-')) },
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.code).toBe(1);
    expect(err!.stderr).toMatch(/POLYMARKET_SUBGRAPH_URL is invalid/);
  });
});
