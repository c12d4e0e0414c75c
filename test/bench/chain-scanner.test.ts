import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { scan } from '#bench/parts/chain/scanner.ts';
import { closeServer, readBody } from '#simulator/chain/node.ts';

/**
 * The sequential scanner tells a refused range from a 429 by the answer's
 * status and code. It once matched /429/ against viem's error text, which
 * carries the URL: behind a proxy whose port had 429 in it, every refused
 * range looked throttled and the scanner retried it forever (the chain
 * smoke's rare stall).
 */

type Answer = (call: { id: unknown; params: { fromBlock: string; toBlock: string }[] }) => { status: number; body: unknown };

let server: Server | undefined;
afterEach(async () => {
  if (server) await closeServer(server);
  server = undefined;
});

/** A JSON-RPC server on the first free port from 42,900 up: every URL the scanner sees has "429" in it. */
async function serveOnPortWith429(answer: Answer): Promise<string> {
  for (let port = 42_900; port < 43_000; port++) {
    const s = createServer((req, res) => {
      void readBody(req).then((text) => {
        // viem sends a batch (an array) where it batches calls; a 429 answers the whole request.
        const parsed = JSON.parse(text) as Parameters<Answer>[0] | Parameters<Answer>[0][];
        const answers = (Array.isArray(parsed) ? parsed : [parsed]).map(answer);
        const throttled = answers.find((a) => a.status === 429);
        const body = throttled ? throttled.body : Array.isArray(parsed) ? answers.map((a) => a.body) : answers[0]?.body;
        res.writeHead(throttled ? 429 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    const listening = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) {
      server = s;
      return `http://127.0.0.1:${port}`;
    }
  }
  throw new Error('no free port from 42900 to 42999');
}

/** Refuses a range over 8 blocks as Alchemy words it, with a range that fits; answers no logs otherwise. */
const capped: Answer = ({ id, params }) => {
  const from = Number(BigInt(params[0]!.fromBlock));
  const to = Number(BigInt(params[0]!.toBlock));
  if (to - from + 1 <= 8) return { status: 200, body: { jsonrpc: '2.0', id, result: [] } };
  const message = `Log response size exceeded. Based on your parameters, this block range should work: [0x${from.toString(16)}, 0x${(from + 7).toString(16)}]`;
  return { status: 200, body: { jsonrpc: '2.0', id, error: { code: -32602, message } } };
};

const tooManyRequests = (id: unknown) => ({ status: 429, body: { jsonrpc: '2.0', id, error: { code: 429, message: 'Too Many Requests' } } });

describe('the sequential scanner', () => {
  it('halves a refused range and counts a 429 apart, whatever digits the URL holds', { timeout: 60_000 }, async () => {
    let first = true;
    const url = await serveOnPortWith429((call) => {
      if (first) {
        first = false;
        return tooManyRequests(call.id);
      }
      return capped(call);
    });
    expect(url).toMatch(/429/);
    const r = await scan({ url, addresses: [], topics: [], from: 0, to: 63, span: 32, throttleWaitMs: 1 });
    expect(r.throttled).toBe(1);
    // Each call starts at 32 blocks and halves until 8 or fewer fit: twice from blocks 0 to 40, then 2, 1 and 0 near the end.
    expect(r.refused).toBe(15);
    expect(r.ids).toEqual([]);
  });

  it('gives up, naming the 429s, when the provider never lets it through', { timeout: 60_000 }, async () => {
    const url = await serveOnPortWith429((call) => tooManyRequests(call.id));
    await expect(scan({ url, addresses: [], topics: [], from: 0, to: 63, span: 8, throttleWaitMs: 1 })).rejects.toThrow(/answers 429 in a row; giving up/);
  });
});
