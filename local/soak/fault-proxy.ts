import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyFault {
  status: number;
  contentType: string;
  body: string;
  kind: string;
}

export interface FaultProxy {
  url: string;
  /** Injected faults by kind. */
  injected: Record<string, number>;
  /** Requests the AWS SDK marked as a retry (`amz-sdk-request: attempt=N`, N > 1). */
  sdkRetries: number;
  requests: number;
  enabled: boolean;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of an emulator that answers a share of requests with
 * an error, chosen by `decide` from the request line and headers; the rest
 * stream through untouched.
 */
export async function startFaultProxy(target: string, decide: (req: IncomingMessage) => ProxyFault | null): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = { url: '', injected: {}, sdkRetries: 0, requests: 0, enabled: true, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    proxy.requests++;
    const attempt = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''));
    if (attempt && Number(attempt[1]) > 1) proxy.sdkRetries++;
    const fault = proxy.enabled ? decide(req) : null;
    if (fault) {
      proxy.injected[fault.kind] = (proxy.injected[fault.kind] ?? 0) + 1;
      req.resume();
      req.on('end', () => {
        res.writeHead(fault.status, { 'content-type': fault.contentType, 'x-amzn-requestid': 'fault-proxy', 'x-amz-request-id': 'fault-proxy' });
        res.end(fault.body);
      });
      return;
    }
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
