import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

describe('runtime', () => {
  it('runs on Node 24, the Lambda runtime the functions deploy to', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    expect(pkg.engines.node).toMatch(/24/);
    expect(pkg.devDependencies.node).toMatch(/\^?24/);
  });
});
