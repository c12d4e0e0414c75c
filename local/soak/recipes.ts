/** The faults the soak injects at each layer: the simulated sources, S3, DynamoDB and ClickHouse. */
import type { IncomingMessage } from 'node:http';
import type { ClickHouseClient } from '@clickhouse/client';
import type { FaultOptions } from '#simulator/index.ts';
import type { ProxyFault } from './fault-proxy.ts';

/** The source fault mix at `rate` per kind; half the run's 429s carry no Retry-After, half do. */
export function sourceFaults(rate: number, seed: number, retryAfter: boolean): FaultOptions {
  return {
    seed,
    // Every kind at least once, whatever the draws: then the shares below.
    script: retryAfter ? ['429', '503'] : ['429', '502', 'hang', 'cut', 'slow', '500'],
    throttle: rate,
    ...(retryAfter ? { retryAfterSeconds: 1 } : {}),
    serverError: rate,
    hang: rate / 10,
    cut: rate / 4,
    slow: rate / 2,
    slowMs: 300,
    rateLimit: { perSecond: 60, burst: 30 },
  };
}

/** S3: a share of object puts and gets under staged/ fail as S3 fails (503 SlowDown, 500 InternalError). */
export function s3Faults(rate: number, random: () => number): (req: IncomingMessage) => ProxyFault | null {
  const xml = (code: string, message: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;
  const scripted = new Set(['PUT', 'GET']);
  return (req) => {
    if (!/\/staged\//.test(req.url ?? '') || (req.method !== 'PUT' && req.method !== 'GET')) return null;
    // The first put and the first get always fail, whatever the draws; then the share.
    if (!scripted.delete(req.method) && random() >= rate) return null;
    const op = req.method === 'PUT' ? 'put' : 'get';
    return random() < 0.5
      ? { kind: `s3 ${op} 503 SlowDown`, status: 503, contentType: 'application/xml', body: xml('SlowDown', 'Please reduce your request rate.') }
      : {
          kind: `s3 ${op} 500 InternalError`,
          status: 500,
          contentType: 'application/xml',
          body: xml('InternalError', 'We encountered an internal error. Please try again.'),
        };
  };
}

/** DynamoDB: a share of calls throttled (400 ThrottlingException / ProvisionedThroughputExceededException). */
export function dynamoFaults(rate: number, random: () => number): (req: IncomingMessage) => ProxyFault | null {
  let calls = 0;
  return (req) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target.startsWith('DynamoDB_')) return null;
    // The tenth call always throttles, whatever the draws; then the share.
    if (++calls !== 10 && random() >= rate) return null;
    const type = random() < 0.5 ? 'ThrottlingException' : 'ProvisionedThroughputExceededException';
    return {
      kind: `dynamodb ${type}`,
      status: 400,
      contentType: 'application/x-amz-json-1.0',
      body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'Rate of requests exceeds the allowed throughput.' }),
    };
  };
}

export interface Outage {
  client: ClickHouseClient;
  /** Calls refused while ClickHouse was "down". */
  refused: number;
  startedAt?: number;
  endedAt?: number;
}

/**
 * The client the loader uses, with ClickHouse unreachable for `durationMs`
 * from the `startAtInsert`-th insert on: every insert fails as a dead server
 * makes it fail (connection refused).
 */
export function clickHouseOutage(client: ClickHouseClient, startAtInsert: number, durationMs: number): Outage {
  let inserts = 0;
  const outage: Outage = { client, refused: 0 };
  const down = () => {
    const now = Date.now();
    if (outage.startedAt === undefined) return false;
    if (now < outage.startedAt + durationMs) return true;
    outage.endedAt ??= outage.startedAt + durationMs;
    return false;
  };
  outage.client = new Proxy(client, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = (value as (...a: unknown[]) => unknown).bind(obj);
      // Inserts are what the loader sends; the runner's own bookkeeping queries stay up.
      if (prop !== 'exec') return fn;
      return (...args: unknown[]) => {
        if (prop === 'exec' && ++inserts === startAtInsert) outage.startedAt = Date.now();
        if (down()) {
          outage.refused++;
          const err = new Error('connect ECONNREFUSED 127.0.0.1:8123 (injected: ClickHouse unreachable)') as Error & { code: string };
          err.code = 'ECONNREFUSED';
          return Promise.reject(err);
        }
        return fn(...args);
      };
    },
  });
  return outage;
}

/** mulberry32: deterministic fault draws for a seed. */
export function faultDraws(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
