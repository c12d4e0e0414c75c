/**
 * Fault injection and rate limiting shared by the simulated HTTP sources.
 * Sits in front of a request handler: decides, per request, whether the
 * request is answered normally, throttled, failed, delayed, left hanging or
 * cut. Deterministic for a seed and a request order.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Rng } from './rng.ts';

export type FaultKind = '429' | '500' | '502' | '503' | 'slow' | 'hang' | 'cut';

export interface RateLimit {
  /** Sustained requests per second (token bucket refill rate). */
  perSecond: number;
  /** Bucket size; default perSecond (at least 1). */
  burst?: number;
}

export interface FaultOptions {
  /** Seed of the fault draws. Default 1. */
  seed?: number;
  /** Share of requests answered 429. */
  throttle?: number;
  /** Retry-After (seconds) on injected and rate-limit 429s; injected 429s carry none when unset. */
  retryAfterSeconds?: number;
  /** Share of requests answered 500, 502 or 503. */
  serverError?: number;
  /** Share of requests delayed by slowMs before being answered normally. */
  slow?: number;
  /** Delay of a slow response, ms. Default 1500. */
  slowMs?: number;
  /** Share of requests never answered (until the client gives up or the server closes). */
  hang?: number;
  /** Share of requests whose connection is destroyed without an answer. */
  cut?: number;
  /** Faults for the next requests, in order, before any random draw; 'pass' answers that request normally. */
  script?: (FaultKind | 'pass')[];
  /** Requests over this rate are answered 429 with Retry-After. */
  rateLimit?: RateLimit | null;
}

export type FaultCounts = Record<FaultKind | 'rate-limited', number>;

export function emptyFaultCounts(): FaultCounts {
  return { '429': 0, '500': 0, '502': 0, '503': 0, slow: 0, hang: 0, cut: 0, 'rate-limited': 0 };
}

const SERVER_ERRORS = [500, 502, 503] as const;

export class FaultInjector {
  readonly counts: FaultCounts = emptyFaultCounts();
  private opts: FaultOptions = {};
  private rng = new Rng(1);
  private script: (FaultKind | 'pass')[] = [];
  private tokens = 0;
  private lastRefill = 0;
  private readonly hanging = new Set<ServerResponse>();

  constructor(opts: FaultOptions = {}) {
    this.set(opts);
  }

  /** Replaces the fault settings (re-seeds the draws, refills the rate-limit bucket). */
  set(opts: FaultOptions): void {
    this.opts = { ...opts };
    this.rng = new Rng(opts.seed ?? 1);
    this.script = [...(opts.script ?? [])];
    const rl = opts.rateLimit;
    this.tokens = rl ? Math.max(1, rl.burst ?? rl.perSecond) : 0;
    this.lastRefill = performance.now();
  }

  get options(): FaultOptions {
    return { ...this.opts };
  }

  /** Requests currently left hanging. */
  get hangingCount(): number {
    return this.hanging.size;
  }

  private rateLimited(): number | null {
    const rl = this.opts.rateLimit;
    if (!rl) return null;
    const cap = Math.max(1, rl.burst ?? rl.perSecond);
    const now = performance.now();
    this.tokens = Math.min(cap, this.tokens + ((now - this.lastRefill) / 1000) * rl.perSecond);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / rl.perSecond));
  }

  private draw(): FaultKind | null {
    const next = this.script.shift();
    if (next === 'pass') return null;
    if (next) return next;
    const o = this.opts;
    const shares: [FaultKind | '5xx', number][] = [
      ['429', o.throttle ?? 0],
      ['5xx', o.serverError ?? 0],
      ['slow', o.slow ?? 0],
      ['hang', o.hang ?? 0],
      ['cut', o.cut ?? 0],
    ];
    if (shares.every(([, p]) => p <= 0)) return null;
    let u = this.rng.float();
    for (const [kind, p] of shares) {
      if (u < p) return kind === '5xx' ? (String(this.rng.pick(SERVER_ERRORS)) as FaultKind) : kind;
      u -= p;
    }
    return null;
  }

  /**
   * Applies the faults to one request. Resolves true when the request was
   * consumed (answered with an error, left hanging or cut), false when the
   * caller should answer it normally (possibly after a delay).
   */
  async intercept(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const wait = this.rateLimited();
    if (wait !== null) {
      this.counts['rate-limited']++;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(wait) });
      res.end(JSON.stringify({ error: 'Too Many Requests' }));
      return true;
    }
    const kind = this.draw();
    if (kind === null) return false;
    this.counts[kind]++;
    switch (kind) {
      case '429': {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (this.opts.retryAfterSeconds !== undefined) headers['retry-after'] = String(this.opts.retryAfterSeconds);
        res.writeHead(429, headers);
        res.end(JSON.stringify({ error: 'Too Many Requests' }));
        return true;
      }
      case '500':
      case '502':
      case '503':
        res.writeHead(Number(kind), { 'content-type': 'text/plain' });
        res.end(kind === '500' ? 'Internal Server Error' : kind === '502' ? 'Bad Gateway' : 'Service Unavailable');
        return true;
      case 'slow':
        await new Promise((r) => setTimeout(r, this.opts.slowMs ?? 1500));
        return req.destroyed || res.destroyed;
      case 'hang':
        // Never answered: the client's timeout/abort closes the socket, or close() does.
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        req.resume();
        return true;
      case 'cut':
        req.socket.destroy();
        return true;
    }
  }

  /** Ends every hanging request (used on close). */
  releaseHanging(): void {
    for (const res of this.hanging) res.socket?.destroy();
    this.hanging.clear();
  }
}

export interface HttpHandle {
  server: Server;
  /** http://127.0.0.1:PORT */
  origin: string;
  close(): Promise<void>;
}

/** Starts a node:http server on 127.0.0.1, a free port. close() also ends open and hanging connections. */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, onClose?: () => void): Promise<HttpHandle> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | null = null;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        onClose?.();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/**
 * Starts a server whose every request meets `faults` first; what they let
 * through goes to `answer`. `onRequest` sees every request, faulted or not.
 * close() also ends the requests left hanging.
 */
export function listenBehindFaults(
  faults: FaultInjector,
  answer: (req: IncomingMessage, res: ServerResponse) => void,
  onRequest?: () => void,
): Promise<HttpHandle> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    onRequest?.();
    void faults.intercept(req, res).then(
      (consumed) => {
        if (!consumed) answer(req, res);
      },
      () => res.destroy(),
    );
  };
  return listen(handler, () => faults.releaseHanging());
}
