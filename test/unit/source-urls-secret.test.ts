import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_POLYGON_RPC_URL } from '#shared/config.ts';
import { loadSourcesFromEnvironment, sourceEnvironment, type SecretJsonReader } from '#functions/environment.ts';

/** How a deployed planner or fetcher gets its keyed source URLs: from the secret SOURCE_URLS_SECRET_ARN names, once per cold start. */
describe('the source-URLs secret', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:polymarket-sync/test/source-urls-AbCdEf';
  const KEYED_RPC = 'https://polygon-mainnet.g.alchemy.com/v2/Ab12Cd34Ef56Gh78';
  const KEYED_SUBGRAPH = 'https://gateway.thegraph.com/api/3c2b1a0987654321fedcba9876543210/subgraphs/id/Bx1W4S7kDVxs9gC3s2G6DS8kdNBJNVhM';

  function reader(value: unknown): SecretJsonReader & { reads: string[] } {
    const reads: string[] = [];
    return Object.assign(
      (arn: string) => {
        reads.push(arn);
        return Promise.resolve(value);
      },
      { reads },
    );
  }

  it('lays the secret’s URLs over the plain ones and keeps the settings it does not name', async () => {
    const read = reader({ POLYGON_RPC_URL: KEYED_RPC, POLYMARKET_SUBGRAPH_URL: KEYED_SUBGRAPH });
    const env = await sourceEnvironment({ SOURCE_URLS_SECRET_ARN: ARN, POLYGON_RPC_URL: DEFAULT_POLYGON_RPC_URL, SYNC_SOURCES: 'markets,chain' }, read);
    expect(read.reads).toEqual([ARN]);
    expect(env).toMatchObject({ POLYGON_RPC_URL: KEYED_RPC, POLYMARKET_SUBGRAPH_URL: KEYED_SUBGRAPH, SYNC_SOURCES: 'markets,chain' });
  });

  it('reads nothing without SOURCE_URLS_SECRET_ARN: the plain URLs are public endpoints', async () => {
    const read = reader({});
    const plain = { POLYGON_RPC_URL: 'https://polygon-bor-rpc.publicnode.com', SYNC_SOURCES: 'markets' };
    expect(await sourceEnvironment(plain, read)).toEqual(plain);
    expect(Object.keys(await loadSourcesFromEnvironment(plain, read))).toEqual(['markets']);
    expect(read.reads).toEqual([]);
  });

  it('builds the enabled sources from the secret’s URLs', async () => {
    const sources = await loadSourcesFromEnvironment({ SOURCE_URLS_SECRET_ARN: ARN, SYNC_SOURCES: 'markets,chain' }, reader({ POLYGON_RPC_URL: KEYED_RPC }));
    expect(Object.keys(sources).sort()).toEqual(['chain', 'markets']);
  });

  it.each([
    ['a plain-http URL', { POLYGON_RPC_URL: 'http://polygon-mainnet.g.alchemy.com/v2/Ab12Cd34Ef56Gh78' }, /POLYGON_RPC_URL/],
    ['a misspelt name', { POLYGON_RPC: KEYED_RPC }, /POLYGON_RPC\b/],
    ['a string instead of JSON', 'https://polygon-mainnet.g.alchemy.com/v2/Ab12Cd34Ef56Gh78', /not a JSON object|expected object/],
    ['a number for a URL', { POLYMARKET_SUBGRAPH_URL: 42 }, /POLYMARKET_SUBGRAPH_URL/],
  ])('refuses %s, naming the field and never the value', async (_, value, names) => {
    const attempt = sourceEnvironment({ SOURCE_URLS_SECRET_ARN: ARN }, reader(value));
    await expect(attempt).rejects.toThrow(ConfigError);
    const message = await attempt.catch((e: unknown) => (e as Error).message);
    expect(message).toMatch(names);
    expect(message).not.toContain('Ab12Cd34Ef56Gh78');
    expect(message).not.toContain('42');
  });
});
