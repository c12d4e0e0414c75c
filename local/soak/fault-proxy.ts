import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyFault {
  status: number;
  contentType: string;
  body: string;
  kind: string;
}

/**
 * A fault that lets part of the request through: `rewrite` gets the request
 * body and says what to send on (null: nothing) and how to change the answer
 * (a batch call that fails some of its entries).
 */
export interface ProxyRewrite {
  kind: string;
  rewrite(body: string): { forward: string | null; answer(upstream: string | null): string };
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
export async function startFaultProxy(target: string, decide: (req: IncomingMessage) => ProxyFault | ProxyRewrite | null): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = { url: '', injected: {}, sdkRetries: 0, requests: 0, enabled: true, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    proxy.requests++;
    const attempt = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''));
    if (attempt && Number(attempt[1]) > 1) proxy.sdkRetries++;
    const fault = proxy.enabled ? decide(req) : null;
    if (fault && 'rewrite' in fault) {
      void rewritten(req, res, fault).catch(() => res.destroy());
      return;
    }
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
  /** The rewrite path: bodies are small (batch calls), so both are read whole. */
  const rewritten = async (req: IncomingMessage, res: ServerResponse, fault: ProxyRewrite) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const plan = fault.rewrite(Buffer.concat(chunks).toString('utf8'));
    proxy.injected[fault.kind] = (proxy.injected[fault.kind] ?? 0) + 1;
    let upstreamBody: string | null = null;
    let status = 200;
    let headers: Record<string, string> = {
      'content-type': String(req.headers['content-type'] ?? 'application/x-amz-json-1.0'),
      'x-amzn-requestid': 'fault-proxy',
    };
    if (plan.forward !== null) {
      const out = Buffer.from(plan.forward, 'utf8');
      const up = await new Promise<IncomingMessage>((resolve, reject) => {
        const r = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, 'content-length': String(out.length) },
          },
          resolve,
        );
        r.on('error', reject);
        r.end(out);
      });
      const back: Buffer[] = [];
      for await (const c of up) back.push(c as Buffer);
      upstreamBody = Buffer.concat(back).toString('utf8');
      status = up.statusCode ?? 502;
      headers = { ...headers, 'content-type': String(up.headers['content-type'] ?? headers['content-type']) };
    }
    const body = status === 200 ? plan.answer(upstreamBody) : (upstreamBody ?? '');
    res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
