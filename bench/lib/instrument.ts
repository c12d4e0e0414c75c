import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClickHouseClient } from '@clickhouse/client';

/** Counts INSERT statements sent through a client (migrations' own bookkeeping excluded). */
export function countingClient(client: ClickHouseClient, counts: { inserts: number }): ClickHouseClient {
  const isCounted = (sql: string) => /^\s*INSERT\b/i.test(sql) && !/schema_migrations/.test(sql);
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'insert') {
        return (params: { table: string }) => {
          if (!/schema_migrations/.test(params.table)) counts.inserts++;
          return fn.call(target, params);
        };
      }
      if (prop === 'exec' || prop === 'command') {
        return (params: { query: string }) => {
          if (isCounted(params.query)) counts.inserts++;
          return fn.call(target, params);
        };
      }
      return fn.bind(target);
    },
  });
}

/** Samples what Node holds (heap + external + array buffers) and keeps the peak. */
export function jsMemorySampler(intervalMs = 50): { peak(): number; stop(): void } {
  let peak = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.external + m.arrayBuffers);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    peak: () => {
      sample();
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

/** Which (simulated) Lambda function the current async call chain belongs to. */
export const currentFunction = new AsyncLocalStorage<string>();

type Sendable = { prototype: { send: (...args: unknown[]) => unknown } };

/**
 * Counts AWS SDK calls by service, command and the function that made them
 * (read from `currentFunction`; calls outside any function are `fallback()`).
 */
export function countAwsCalls(clients: Record<string, Sendable>, calls: Record<string, number>, fallback: () => string): void {
  for (const [service, cls] of Object.entries(clients)) {
    const original = cls.prototype.send;
    cls.prototype.send = function (this: unknown, ...args: unknown[]) {
      const command = (args[0] as { constructor: { name: string } }).constructor.name;
      const key = `${currentFunction.getStore() ?? fallback()}:${service}:${command}`;
      calls[key] = (calls[key] ?? 0) + 1;
      return original.apply(this, args);
    };
  }
}
