import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { gqlData } from './helpers.ts';

describe('npm run simulate (simulator/cli.ts)', () => {
  it('serves a generated dataset and prints the env vars, until interrupted', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'simulator/cli.ts', '--markets', '20', '--fills', '300', '--seed', '5'], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 20_000;
      while (!out.includes('Ctrl-C') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      const sub = /POLYMARKET_SUBGRAPH_URL=(\S+)/.exec(out)?.[1];
      const markets = /POLYMARKET_MARKETS_URL=(\S+)/.exec(out)?.[1];
      expect(out).toContain('generated 20 markets, 300 fills');
      expect(sub).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      const d = await gqlData<{ orderFilledEvents: unknown[] }>(sub!, '{ orderFilledEvents(first: 1000) { id } }');
      expect(d.orderFilledEvents).toHaveLength(300);
      const page = (await (await fetch(`${markets}/markets`)).json()) as { count: number };
      expect(page.count).toBe(20);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    expect(out).toContain('requests');
  });
});
