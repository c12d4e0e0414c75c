import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { UINT256_MAX } from '#shared/model/fill.ts';

/** A tiny HTTP server whose answer the test sets per request. */
export interface BodyServer {
  url: string;
  respond: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

export async function bodyServer(): Promise<BodyServer> {
  const s: BodyServer = {
    url: '',
    respond: (_req, res) => res.end('{}'),
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => s.respond(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return s;
}

export const hexBytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
export const uint256 = fc.bigInt({ min: 0n, max: UINT256_MAX }).map(String);
/** Numbers and number-like text that no uint256 field may accept. */
export const badUint = fc.oneof(
  fc.bigInt({ min: UINT256_MAX + 1n, max: 10n ** 78n - 1n }).map(String), // 78 digits, over uint256
  fc.bigInt({ min: 1n, max: UINT256_MAX }).map((n) => `-${n}`),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 999 })).map(([a, b]) => `${a}.${b}`),
  fc.constantFrom('', ' 1', '1 ', '+1', '01', '1e5', '0x1f', 'NaN', 'Infinity', '١٢٣', '1_000'),
  fc.integer().map((n) => n as unknown as string),
  fc.constant(null as unknown as string),
);
/** Addresses of the wrong length or alphabet. */
export const badAddress = fc.oneof(
  fc
    .integer({ min: 0, max: 40 })
    .filter((n) => n !== 20)
    .chain((n) => hexBytes(n)),
  fc.constantFrom('0x', '', '1111111111111111111111111111111111111111', `0x${'g'.repeat(40)}`, `0X${'a'.repeat(40)}`),
  fc.string(),
);
/** Whatever JSON can hold, including deep and odd values. */
export const anyJson = fc.oneof(fc.jsonValue(), fc.anything());
