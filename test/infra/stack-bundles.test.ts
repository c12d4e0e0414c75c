import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/paths.ts';
import { FUNCTIONS, functions, outdir, synthesiseAllStages, type FunctionKey } from './synth.ts';

/** The four functions' bundles, as synthesis builds them. */
synthesiseAllStages();

describe('bundles', () => {
  const FORBIDDEN = /(^|\/)node_modules\/(chdb|fauxqs|dynalite|hardhat|@nomicfoundation|classic-level|leveldown|better-sqlite3)(\/|$)/;
  const LOCAL_ONLY = /^(local|simulator|test)\//;

  function assetDirs(): Record<FunctionKey, string> {
    const out: Partial<Record<FunctionKey, string>> = {};
    for (const key of FUNCTIONS) {
      const [, fn] = functions('dev')[key];
      const assetPath = fn.Metadata?.['aws:asset:path'] as string;
      expect(assetPath).toBeTruthy();
      out[key] = path.join(outdir, assetPath);
    }
    return out as Record<FunctionKey, string>;
  }

  it('builds each function into one ESM file and its source map, with no native modules', () => {
    for (const [key, dir] of Object.entries(assetDirs())) {
      const files = readdirSync(dir, { recursive: true }).map(String).sort();
      expect(files, key).toEqual(['index.mjs', 'index.mjs.map']);
      expect(files.filter((f) => f.endsWith('.node'))).toEqual([]);
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __pmsCreateRequire } from 'node:module';")).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
      // Nothing is left for the runtime to resolve except Node built-ins and
      // the SDK's optional CRT signer (required inside a try/catch, used only
      // for SigV4a multi-region endpoints, which we do not call).
      const spec = '([@A-Za-z0-9_./:-]+)';
      const imports = [...code.matchAll(new RegExp(`\\bfrom\\s*"${spec}"|\\bimport\\s*\\(\\s*"${spec}"\\s*\\)|\\brequire\\(\\s*"${spec}"\\s*\\)`, 'g'))].map(
        (m) => m[1] ?? m[2] ?? m[3]!,
      );
      const OPTIONAL = new Set(['@aws-sdk/signature-v4-crt']);
      expect(
        imports.filter((i) => !i.startsWith('node:') && !OPTIONAL.has(i)),
        key,
      ).toEqual([]);
      expect(imports.filter((i) => /chdb|fauxqs|dynalite|hardhat/.test(i))).toEqual([]);
    }
  });

  it('contains no chdb, fauxqs, dynalite or hardhat module and no local-only code', () => {
    for (const [key, dir] of Object.entries(assetDirs())) {
      const map = JSON.parse(readFileSync(path.join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      const sources = map.sources.map((s) => path.relative(REPO_ROOT, path.resolve(dir, s)).split(path.sep).join('/'));
      expect(sources.length, key).toBeGreaterThan(10);
      expect(sources, key).toContain(`functions/${key}.ts`);
      expect(
        sources.filter((s) => FORBIDDEN.test(s)),
        key,
      ).toEqual([]);
      expect(
        sources.filter((s) => LOCAL_ONLY.test(s)),
        key,
      ).toEqual([]);
      // AWS SDK v3 is bundled, not taken from the runtime.
      expect(
        sources.some((s) => s.includes('node_modules/@aws-sdk/')),
        key,
      ).toBe(true);
    }
  });

  it('loads in Node 24 as ESM and exports handler', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
    // A cold start builds the handler from the function's environment, so each bundle is loaded in a
    // process of its own with an environment of the shape the template gives it.
    const env = {
      PATH: process.env.PATH,
      AWS_REGION: 'eu-west-1',
      SYNC_STAGE: 'test',
      SHARD_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/shards',
      LOAD_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/loads',
      STAGING_BUCKET: 'polymarket-sync-test-staging',
      STATE_TABLE: 'polymarket-sync-test-state',
      CLICKHOUSE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:polymarket-sync-test-clickhouse',
      CLICKHOUSE_DATABASE: 'polymarket',
    };
    for (const [key, dir] of Object.entries(assetDirs())) {
      const file = path.join(dir, 'index.mjs');
      expect(existsSync(file)).toBe(true);
      const script = `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(typeof m.handler);`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
      expect(out, key).toBe('function');
    }
  });
});
