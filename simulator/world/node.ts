import { createServer } from 'node:http';
import { createHardhatRuntimeEnvironment } from 'hardhat/hre';
import { closeServer, listen, readBody, type Eip1193, type EvmNode } from '#simulator/chain/node.ts';

/**
 * An EDR node like simulator/chain/node.ts `startEvmNode`, but whose genesis
 * block is dated `initialDate`. The world needs it: block timestamps only go
 * forward, so to mine 33.6M blocks and still reach 2022-11 the chain must
 * begin in 2021. (startEvmNode has no such option; its genesis is now.)
 */
export async function startDatedEvmNode(opts: { initialDate: Date; logTimestamps?: boolean }): Promise<EvmNode> {
  const keepTimestamps = opts.logTimestamps ?? false;
  const hre = await createHardhatRuntimeEnvironment({});
  const conn = await hre.network.create({ override: { initialDate: opts.initialDate } });
  const provider = conn.provider as unknown as Eip1193;

  const answer = async (r: { id?: unknown; method?: unknown; params?: unknown }): Promise<unknown> => {
    const id = r.id ?? null;
    if (typeof r.method !== 'string') return { jsonrpc: '2.0', id, error: { code: -32600, message: 'invalid request' } };
    try {
      const result = await provider.request({ method: r.method, params: Array.isArray(r.params) ? r.params : [] });
      // EDR adds blockTimestamp to logs; standard nodes do not.
      if (r.method === 'eth_getLogs' && !keepTimestamps && Array.isArray(result)) for (const l of result as Record<string, unknown>[]) delete l.blockTimestamp;
      return { jsonrpc: '2.0', id, result: result ?? null };
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown; data?: unknown };
      const code = typeof e.code === 'number' ? e.code : -32603;
      return { jsonrpc: '2.0', id, error: { code, message: typeof e.message === 'string' ? e.message : String(err), ...(e.data !== undefined ? { data: e.data } : {}) } };
    }
  };

  const server = createServer((req, res) => {
    void (async () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readBody(req));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
        return;
      }
      const out = Array.isArray(parsed) ? await Promise.all(parsed.map((r) => answer(r as Record<string, unknown>))) : await answer(parsed as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    })();
  });
  const url = await listen(server);
  const accounts = (await provider.request({ method: 'eth_accounts' })) as `0x${string}`[];
  return {
    url,
    provider,
    accounts,
    async close() {
      await closeServer(server);
      await conn.close();
    },
  };
}
