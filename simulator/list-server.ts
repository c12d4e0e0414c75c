/**
 * What the simulated market lists (the CLOB list, Gamma) share around their
 * own paging: faults in front of every request, markets hidden by hand and
 * rows that lie (both changeable while serving), and JSON answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultInjector, listenBehindFaults, type FaultCounts, type FaultOptions } from './faults.ts';

/** A row the list shows wrongly, of a kind its server knows how to spoil. */
export interface ListCorruption<K extends string> {
  conditionId: string;
  kind: K;
}

/** What a simulated list counts. */
export interface ListStats {
  requests: number;
  /** Pages answered 200. */
  pages: number;
  marketsReturned: number;
  /** Requests answered 4xx (a bad cursor or query, an unknown path). */
  badRequests: number;
  faults: FaultCounts;
}

export interface ListServerOptions<K extends string> {
  /** Condition ids the list leaves out, besides those the dataset's list coverage omits. */
  hidden?: Iterable<string>;
  faults?: FaultOptions;
  corruptions?: ListCorruption<K>[];
}

/** The handle of a running simulated list. */
export interface ListServerControls<K extends string> {
  url: string;
  setFaults(faults: FaultOptions): void;
  setHidden(conditionIds: Iterable<string>): void;
  setCorruptions(corruptions: ListCorruption<K>[]): void;
  close(): Promise<void>;
}

/** The hidden markets, corruptions and faults of one simulated list; `serve` starts it. */
export class ListServing<K extends string> {
  readonly faults: FaultInjector;
  private hidden: Set<string>;
  private corruptions: Map<string, K>;

  constructor(opts: ListServerOptions<K>) {
    this.faults = new FaultInjector(opts.faults ?? {});
    this.hidden = new Set(opts.hidden ?? []);
    this.corruptions = corruptionMap(opts.corruptions ?? []);
  }

  isHidden(conditionId: string): boolean {
    return this.hidden.has(conditionId);
  }

  get hidesAny(): boolean {
    return this.hidden.size > 0;
  }

  corruptionOf(conditionId: string): K | undefined {
    return this.corruptions.get(conditionId);
  }

  /** Serves `answer` behind the faults on a free loopback port, counting every request in `stats.requests`. */
  async serve(stats: ListStats, answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<ListServerControls<K>> {
    const http = await listenBehindFaults(this.faults, answer, () => stats.requests++);
    return {
      url: http.origin,
      setFaults: (f) => this.faults.set(f),
      setHidden: (ids) => {
        this.hidden = new Set(ids);
      },
      setCorruptions: (list) => {
        this.corruptions = corruptionMap(list);
      },
      close: () => http.close(),
    };
  }
}

function corruptionMap<K extends string>(list: ListCorruption<K>[]): Map<string, K> {
  return new Map(list.map((c) => [c.conditionId, c.kind]));
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
