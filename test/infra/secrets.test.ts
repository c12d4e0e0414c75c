/* eslint-disable @typescript-eslint/no-explicit-any -- synthesised CloudFormation is untyped JSON; the walk indexes into it freely */
import { describe, expect, it } from 'vitest';
import { DEFAULT_GAMMA_URL, DEFAULT_MARKETS_URL, DEFAULT_POLYGON_RPC_URL, DEFAULT_SUBGRAPH_URL } from '#shared/config.ts';
import { ENVIRONMENTS, parseEnvironmentConfig } from '#infra/environments.ts';
import { credentialIn, urlsIn } from '#infra/keyed-urls.ts';
import { functions, statementsOf, synthesiseAllStages, template } from './synth.ts';

/** No provider key in any template: keyed source URLs reach the functions only through the source-URLs secret. */
synthesiseAllStages();

/** Keys as providers hand them out; each must be caught. The values are made up. */
const PLANTED = [
  'https://user:hunter2@rpc.example.com',
  'https://polygon-mainnet.g.alchemy.com/v2/Ab12Cd34Ef56Gh78',
  'https://polygon-mainnet.infura.io/v3/0123456789abcdef0123456789abcdef',
  'https://old-small-sky.matic.quiknode.pro/9f8e7d6c5b4a39281706f5e4d3c2b1a098765432/',
  'https://gateway.thegraph.com/api/3c2b1a0987654321fedcba9876543210/subgraphs/id/Bx1W4S7kDVxs9gC3s2G6DS8kdNBJNVhMviCtin2DiBp',
  'https://rpc.ankr.com/polygon?apikey=abc',
  'https://api.example.com/graphql?api_key=abc&x=1',
  'https://api.example.com/graphql?token=abc',
  'https://api.example.com/graphql?access_token=abc',
  'https://api.example.com/graphql?key=abc',
  'https://polygon.example.com/rpc/k3yK3yK3yK3yK3yK3yK3yK3y',
  'wss://polygon-mainnet.g.alchemy.com/v2/Ab12Cd34Ef56Gh78',
];

/** Plain URLs a template legitimately holds. */
const PUBLIC = [
  DEFAULT_SUBGRAPH_URL,
  DEFAULT_MARKETS_URL,
  DEFAULT_POLYGON_RPC_URL,
  DEFAULT_GAMMA_URL,
  'https://sqs.eu-west-1.amazonaws.com/111111111111/polymarket-sync-dev-shards',
  'https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html',
  'https://polygon-bor-rpc.publicnode.com',
];

/**
 * Every string in a template, with each `Fn::Join` and `Fn::Sub` also
 * rendered as one string (a URL can be assembled from parts), intrinsic
 * values standing in as `${...}`.
 */
function templateStrings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(templateStrings);
  if (node === null || typeof node !== 'object') return [];
  const out = Object.entries(node).flatMap(([k, v]) => [k, ...templateStrings(v)]);
  const join = (node as any)['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) {
    out.push((join[1] as unknown[]).map((part) => (typeof part === 'string' ? part : '${...}')).join(String(join[0])));
  }
  return out;
}

/** Every keyed URL in a template, with why (never the value). */
function keyedUrls(templateJson: unknown): string[] {
  const found = new Set<string>();
  for (const text of templateStrings(templateJson)) {
    for (const url of urlsIn(text)) {
      const why = credentialIn(url);
      if (why) found.add(why);
    }
  }
  return [...found];
}

describe('the keyed-URL detector', () => {
  it.each(PLANTED)('catches %s', (url) => {
    expect(credentialIn(url)).toBeDefined();
  });

  it.each(PUBLIC)('passes %s', (url) => {
    expect(credentialIn(url)).toBeUndefined();
  });

  it('finds a key planted anywhere in a template: an environment value, inside a Join, inside embedded JSON, in metadata', () => {
    const fnWith = (value: unknown) => ({ Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { X: value } } } } } });
    expect(keyedUrls(fnWith(PUBLIC[0]))).toEqual([]);
    expect(keyedUrls(fnWith(PLANTED[1]))).toHaveLength(1);
    expect(keyedUrls(fnWith({ 'Fn::Join': ['', ['https://polygon-mainnet.infura.io/v3/', '0123456789abcdef0123456789abcdef']] }))).toHaveLength(1);
    expect(keyedUrls(fnWith({ 'Fn::Join': ['', ['https://', { Ref: 'Host' }, '/rpc?apikey=', { Ref: 'Key' }]] }))).toHaveLength(1);
    expect(keyedUrls(fnWith(JSON.stringify({ rpc: PLANTED[3] })))).toHaveLength(1);
    expect(keyedUrls({ Metadata: { note: `see ${PLANTED[0]} for details` } })).toHaveLength(1);
  });
});

describe.each(ENVIRONMENTS.map((e) => e.stage))('stage %s', (stage) => {
  const config = parseEnvironmentConfig(ENVIRONMENTS.find((e) => e.stage === stage));

  it('has no URL with credentials, a key-like path segment or a key parameter anywhere in its template', () => {
    const json = template(stage).toJSON();
    expect(keyedUrls(json)).toEqual([]);
    // The walk did see the template's URLs: the plain source URLs are among them.
    const urls = templateStrings(json).flatMap(urlsIn);
    expect(urls).toEqual(expect.arrayContaining([config.sources.polygonRpcUrl, config.sources.subgraphUrl]));
  });

  it('gives the planner and the fetcher only the source-URLs secret ARN, and a read grant on exactly that secret', () => {
    const f = functions(stage);
    const urlsSecret = config.sources.urlsSecret;
    for (const key of ['planner', 'fetcher'] as const) {
      const env = f[key][1].Properties.Environment.Variables as Record<string, unknown>;
      const reads = statementsOf(stage, f[key][0]).filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
      if (!urlsSecret) {
        expect(env.SOURCE_URLS_SECRET_ARN).toBeUndefined();
        expect(reads).toEqual([]);
        continue;
      }
      const arn = urlsSecret.from === 'arn' ? urlsSecret.arn : `arn:aws:secretsmanager:${config.region}:${config.account}:secret:${urlsSecret.name}`;
      expect(env.SOURCE_URLS_SECRET_ARN).toBe(arn);
      expect(reads).toHaveLength(1);
      // By name, the grant covers the 6-character suffix Secrets Manager appends.
      expect(JSON.stringify(reads[0]!.Resource)).toContain(urlsSecret.from === 'arn' ? `"${arn}"` : `${arn}-??????`);
    }
    for (const key of ['loader', 'monitor'] as const) {
      expect((f[key][1].Properties.Environment.Variables as Record<string, unknown>).SOURCE_URLS_SECRET_ARN).toBeUndefined();
    }
  });
});

describe('a stage with keyed provider URLs', () => {
  const base = { ...ENVIRONMENTS.find((e) => e.stage === 'prod')! };

  it('is configured through the secret: at least one deployed stage uses it', () => {
    expect(ENVIRONMENTS.some((e) => parseEnvironmentConfig(e).sources.urlsSecret)).toBe(true);
  });

  it.each([
    ['polygonRpcUrl', 'https://polygon-mainnet.g.alchemy.com/v2/Ab12Cd34Ef56Gh78'],
    ['subgraphUrl', 'https://gateway.thegraph.com/api/3c2b1a0987654321fedcba9876543210/subgraphs/id/Bx1W4S7kDVxs9gC3s2G6DS8kdNBJNVhMviCtin2DiBp'],
    ['marketsUrl', 'https://clob.example.com?api_key=Zz9Yy8Xx7'],
  ])('refuses a keyed %s as a plain URL, pointing at the secret without echoing the key', (field, url) => {
    const input = { ...base, sources: { [field]: url } };
    let message = '';
    try {
      parseEnvironmentConfig(input);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(new RegExp(`sources\\.${field}: carries .*sources\\.urlsSecret`));
    for (const part of new URL(url).pathname
      .split('/')
      .concat([...new URL(url).searchParams.values()])
      .filter((p) => p.length >= 8)) {
      expect(message).not.toContain(part);
    }
  });

  it('refuses a source-URLs secret from another account', () => {
    const input = { ...base, sources: { urlsSecret: { from: 'arn', arn: 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:urls-AbCdEf' } } };
    expect(() => parseEnvironmentConfig(input)).toThrow(/sources\.urlsSecret\.arn: must be in the environment's own account and region/);
  });
});
