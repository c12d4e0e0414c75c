import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHardhatRuntimeEnvironment } from 'hardhat/hre';

/** The EIP-1193 face of Hardhat's in-process EDR node. */
export interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export interface EvmNode {
  /** JSON-RPC over HTTP on 127.0.0.1 (single calls and batches). */
  url: string;
  provider: Eip1193;
  accounts: `0x${string}`[];
  close(): Promise<void>;
}

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function answer(provider: Eip1193, r: JsonRpcRequest, logTimestamps: boolean): Promise<unknown> {
  const id = r.id ?? null;
  if (typeof r.method !== 'string') return { jsonrpc: '2.0', id, error: { code: -32600, message: 'invalid request' } };
  try {
    const result = await provider.request({ method: r.method, params: Array.isArray(r.params) ? r.params : [] });
    if (r.method === 'eth_getLogs' && !logTimestamps && Array.isArray(result)) {
      // EDR adds blockTimestamp to logs; standard nodes do not. Strip it unless asked to keep it.
      for (const l of result as Record<string, unknown>[]) delete l.blockTimestamp;
    }
    return { jsonrpc: '2.0', id, result: result ?? null };
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; data?: unknown };
    const code = typeof e.code === 'number' ? e.code : -32603;
    return {
      jsonrpc: '2.0',
      id,
      error: { code, message: typeof e.message === 'string' ? e.message : String(err), ...(e.data !== undefined ? { data: e.data } : {}) },
    };
  }
}

export function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Starts Hardhat's EDR node in this process (no config file, no network
 * access) and serves it as JSON-RPC over HTTP on a free loopback port.
 * Logs lose EDR's non-standard blockTimestamp field unless `logTimestamps`.
 * The genesis block is dated now unless `initialDate` is given (block
 * timestamps only go forward, so a chain that must reach an old date with
 * many blocks has to start earlier).
 */
export async function startEvmNode(opts: { logTimestamps?: boolean; initialDate?: Date } = {}): Promise<EvmNode> {
  const logTimestamps = opts.logTimestamps ?? false;
  const hre = await createHardhatRuntimeEnvironment({});
  const conn = await hre.network.create(opts.initialDate === undefined ? undefined : { override: { initialDate: opts.initialDate } });
  const provider = conn.provider as unknown as Eip1193;
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
      const out = Array.isArray(parsed)
        ? await Promise.all(parsed.map((r) => answer(provider, r as JsonRpcRequest, logTimestamps)))
        : await answer(provider, parsed as JsonRpcRequest, logTimestamps);
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
