/**
 * Crash points: ports wrapped so the "process" dies at the Nth call of a
 * given method, before or after the real call. After the crash every further
 * call through the same wrappers fails too (a dead process does nothing,
 * not even its `finally` blocks), and a new process starts from what is
 * durable: DynamoDB, S3, the queues and ClickHouse.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';

export class Crash extends Error {
  override name = 'Crash';
}

export interface CrashPoint {
  /** `<port>.<method>`, e.g. `state.advanceShard`, `blobs.put`, `clickhouse.exec`, `sqs.ackShard`. */
  at: string;
  /** 1-based call number of that method in the process. */
  n: number;
  when: 'before' | 'after';
}

export const describePoint = (p: CrashPoint) => `${p.when} ${p.at} #${p.n}`;

export class CrashSwitch {
  readonly calls = new Map<string, number>();
  fired = false;
  private dead = false;

  constructor(private readonly point?: CrashPoint) {}

  async around<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.dead) throw new Crash(`process already dead (${name})`);
    const n = (this.calls.get(name) ?? 0) + 1;
    this.calls.set(name, n);
    const hit = this.point !== undefined && !this.fired && this.point.at === name && this.point.n === n;
    if (hit && this.point!.when === 'before') this.die();
    const result = await fn();
    if (hit) this.die();
    return result;
  }

  private die(): never {
    this.fired = true;
    this.dead = true;
    throw new Crash(`crash ${describePoint(this.point!)}`);
  }
}

/** Every method of `target` goes through the switch under `<prefix>.<method>`; other properties pass through. */
export function crashable<T extends object>(target: T, prefix: string, sw: CrashSwitch): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => sw.around(`${prefix}.${prop}`, () => Promise.resolve((value as (...a: unknown[]) => unknown).apply(obj, args)));
    },
  });
}

/**
 * A ClickHouse client whose inserts (`exec`) go through the switch. The
 * response is drained inside, so "after" means ClickHouse has the rows and
 * the loader never heard back.
 */
export function crashableClickHouse(client: ClickHouseClient, sw: CrashSwitch): ClickHouseClient {
  return new Proxy(client, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (prop !== 'exec' || typeof value !== 'function') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
      return (params: Parameters<ClickHouseClient['exec']>[0]) =>
        sw.around('clickhouse.exec', async () => {
          const res = await client.exec(params);
          for await (const _ of res.stream) void _;
          return { ...res, stream: Readable.from([]) };
        });
    },
  });
}
