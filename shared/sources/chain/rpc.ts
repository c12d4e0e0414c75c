import { LRUCache } from 'lru-cache';
import { createPublicClient, http, numberToHex, type Address, type Hex } from 'viem';
import { AttemptFailed, classifyRpcError, httpStatusOf, type RpcFailure } from './errors.ts';
import type { RpcLog } from './decode.ts';
import { retryPolicy, withRetry, type RetryOptions, type RetryPolicy, type Sleep } from '#shared/retry.ts';
import { count } from '#shared/telemetry/counters.ts';
import { noteSourceRetry } from '#shared/telemetry/source-retries.ts';
import { hostOf } from '#shared/sources/source-error.ts';
import { holdOrigin, waitOutHold } from '#shared/sources/retry-after-hold.ts';
import type { Pacer } from '#shared/sources/pacing.ts';
import type { ChainSourceStats } from './stats.ts';

/** What the source reports as it goes (for logs and metrics). */
export type ChainSourceEvent =
  | { type: 'retry'; method: string; attempt: number; delayMs: number; failure: RpcFailure }
  | { type: 'range-refused'; fromBlock: bigint; toBlock: bigint; failure: RpcFailure; nextSpan: number }
  | { type: 'span'; span: number; logs: number; blocks: number };

export interface ChainRpcOptions {
  rpcUrl: string;
  timeoutMs: number;
  /** The retry policy's numbers (see RetryPolicy); unset ones take DEFAULT_RETRY_POLICY's. */
  maxRetries?: number | undefined;
  retryBaseDelayMs?: number | undefined;
  retryMaxDelayMs?: number | undefined;
  /** A Retry-After longer than this is not slept through: the call fails and the shard is retried later. */
  maxRetryAfterMs?: number | undefined;
  /** Calls per JSON-RPC batch (block headers, transaction receipts): the provider's batch limit. */
  blockBatchSize: number;
  timestampCacheSize: number;
  stats: ChainSourceStats;
  /**
   * Waited on before each HTTP request, retries included. Applied here, not
   * in fetchFn, because viem's timeout already runs around fetchFn and the
   * wait for a turn must not count against it.
   */
  pacer?: Pacer | undefined;
  onEvent?: ((e: ChainSourceEvent) => void) | undefined;
  fetchFn?: typeof fetch | undefined;
  sleep?: Sleep | undefined;
  random?: (() => number) | undefined;
  /** The clock a Retry-After's hold is measured on, ms; default Date.now. */
  now?: (() => number) | undefined;
}

export class RpcCallError extends Error {
  override name = 'RpcCallError';
  constructor(
    message: string,
    readonly failure: RpcFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface BlockHeader {
  number: bigint;
  hash: string;
  timestamp: number;
}

export type GetLogsResult = { ok: true; logs: RpcLog[] } | { ok: false; failure: RpcFailure & { kind: 'range' } };

interface RawBlock {
  number: Hex;
  hash: Hex;
  timestamp: Hex;
}

/**
 * JSON-RPC access for the chain source: viem clients with viem's own retries
 * off (retryCount 0), because retries here must tell a refused range (split
 * it) from a transient failure (back off with jitter, honour Retry-After),
 * and be counted. The backing off is the project's one retry loop (#shared/retry.ts).
 * Block headers are kept in an LRU cache: a numbered block under the safe head never changes.
 */
export class ChainRpc {
  private readonly client;
  private readonly batchClient;
  private readonly headers: LRUCache<bigint, BlockHeader>;
  private readonly policy: RetryPolicy;

  constructor(private readonly opts: ChainRpcOptions) {
    const stats = opts.stats;
    const baseFetch = opts.fetchFn ?? fetch;
    const countingFetch: typeof fetch = async (input, init) => {
      stats.httpRequests++;
      count('SourceRequests');
      const res = await baseFetch(input, init);
      if (res.status === 429) {
        stats.rateLimited++;
        count('SourceThrottled');
      } else if (res.status >= 500) {
        count('SourceServerErrors');
      }
      return res;
    };
    const common = { retryCount: 0, timeout: opts.timeoutMs, fetchFn: countingFetch } as const;
    this.client = createPublicClient({ transport: http(opts.rpcUrl, common) });
    this.batchClient = createPublicClient({
      transport: http(opts.rpcUrl, { ...common, batch: { batchSize: opts.blockBatchSize, wait: 0 } }),
    });
    this.headers = new LRUCache({ max: opts.timestampCacheSize });
    this.policy = retryPolicy({
      maxRetries: opts.maxRetries,
      baseDelayMs: opts.retryBaseDelayMs,
      maxDelayMs: opts.retryMaxDelayMs,
      maxRetryAfterMs: opts.maxRetryAfterMs,
      jitter: 'equal',
    });
  }

  /** eth_getBlockByNumber calls one HTTP request carries. */
  get headerBatchSize(): number {
    return this.opts.blockBatchSize;
  }

  private count(method: string): void {
    const s = this.opts.stats;
    s.rpcCalls[method] = (s.rpcCalls[method] ?? 0) + 1;
    if (method === 'eth_getLogs') s.getLogsCalls++;
  }

  /**
   * What a failed request of call `by` meant, counting the rate limits the HTTP status did not show (a JSON-RPC 429
   * or -32005); a Retry-After holds every other call to the provider (a fetcher pages two shards side by side).
   */
  private failureOf(err: unknown, by: object): RpcFailure {
    const failure = classifyRpcError(err);
    if (failure.kind === 'transient' && failure.rateLimited && httpStatusOf(err) !== 429) this.opts.stats.rateLimited++;
    if (failure.kind === 'transient' && failure.retryAfterMs !== undefined) {
      holdOrigin(this.opts.rpcUrl, failure.retryAfterMs, { now: this.opts.now, by });
    }
    return failure;
  }

  /** Waits out a Retry-After the provider gave another call. */
  private async waitOutHold(by: object, signal: AbortSignal | undefined): Promise<void> {
    await waitOutHold(this.opts.rpcUrl, signal, { now: this.opts.now, sleep: this.opts.sleep, by });
  }

  /** A turn at the pacer, then a hold that began while the call waited for it (a turn can be seconds away). */
  private async takeTurn(by: object, signal: AbortSignal | undefined): Promise<void> {
    if (!this.opts.pacer) return;
    await this.opts.pacer(signal);
    await this.waitOutHold(by, signal);
  }

  /** The shared retry loop's settings for `method`: transient failures retry, anything else is final, and every retry is counted. */
  private retrying(method: string, signal: AbortSignal | undefined): RetryOptions {
    const s = this.opts.stats;
    return {
      policy: this.policy,
      signal,
      sleep: this.opts.sleep,
      random: this.opts.random,
      classify: (err) => {
        if (!(err instanceof AttemptFailed)) return { action: 'rethrow' };
        const failure = err.failure;
        return failure.kind === 'transient' ? { action: 'retry', retryAfterMs: failure.retryAfterMs } : { action: 'give-up' };
      },
      onRetry: ({ retry, delayMs, error }) => {
        const failure = (error as AttemptFailed).failure;
        if (failure.kind === 'transient' && failure.timeout) {
          s.timeouts++;
          count('SourceTimeouts');
        }
        s.retries++;
        count('SourceRetries');
        s.retryWaitMs += delayMs;
        this.opts.onEvent?.({ type: 'retry', method, attempt: retry, delayMs, failure });
        const source = { service: 'polygon-rpc', host: hostOf(this.opts.rpcUrl) } as const;
        noteSourceRetry({ source, error: (error as AttemptFailed).cause, retry, maxRetries: this.policy.maxRetries });
      },
      giveUp: ({ error, attempts, why }) => {
        const { failure, cause } = error as AttemptFailed;
        if (why === 'retry-after-too-long' && failure.kind === 'transient') {
          return new RpcCallError(
            `${method}: provider asked to retry after ${failure.retryAfterMs} ms, more than the ${this.policy.maxRetryAfterMs} ms allowed`,
            failure,
          );
        }
        return new RpcCallError(`${method} failed after ${attempts} attempt(s): ${failure.reason}`, failure, { cause });
      },
    };
  }

  /**
   * One JSON-RPC call with transient retries. Range refusals are returned to
   * the caller when `rangeAware`, otherwise they are final like fatal errors.
   */
  private async call<T>(
    method: string,
    params: unknown[],
    signal: AbortSignal | undefined,
    rangeAware: boolean,
  ): Promise<{ ok: true; value: T } | { ok: false; failure: RpcFailure & { kind: 'range' } }> {
    const by = {};
    return withRetry(
      async () => {
        await this.waitOutHold(by, signal);
        await this.takeTurn(by, signal);
        this.count(method);
        try {
          const value = (await this.client.request({ method, params } as never, { signal } as never)) as T;
          return { ok: true, value };
        } catch (err) {
          if (signal?.aborted) throw err;
          const failure = this.failureOf(err, by);
          if (failure.kind === 'range' && rangeAware) return { ok: false, failure };
          throw new AttemptFailed(failure, err);
        }
      },
      this.retrying(method, signal),
    );
  }

  /** Logs of any of `addresses` whose topic0 is any of `topics0`, in [fromBlock, toBlock]. */
  async getLogs(
    addresses: readonly Address[],
    topics0: Hex | readonly Hex[],
    fromBlock: bigint,
    toBlock: bigint,
    signal?: AbortSignal,
  ): Promise<GetLogsResult> {
    const topic0 = typeof topics0 === 'string' ? topics0 : topics0.length === 1 ? topics0[0] : [...topics0];
    const filter = { address: [...addresses], topics: [topic0], fromBlock: numberToHex(fromBlock), toBlock: numberToHex(toBlock) };
    const res = await this.call<RpcLog[]>('eth_getLogs', [filter], signal, true);
    if (!res.ok) {
      this.opts.stats.getLogsRefused++;
      return res;
    }
    if (!Array.isArray(res.value)) throw new RpcCallError('eth_getLogs returned a non-array result', { kind: 'fatal', reason: 'non-array result' });
    this.opts.stats.getLogsAnswered++;
    this.opts.stats.logs += res.value.length;
    return { ok: true, logs: res.value };
  }

  /**
   * Every log of each transaction (eth_getTransactionReceipt), for the
   * transactions that need their context (activity routed through a V2
   * collateral adapter), sent in JSON-RPC batches as headers are: one
   * request a transaction paced a V2 backfill's activity at the provider's
   * latency.
   */
  async getTransactionLogs(txHashes: readonly string[], signal?: AbortSignal): Promise<Map<string, RpcLog[]>> {
    const hashes = [...new Set(txHashes.map((h) => h.toLowerCase()))];
    const receipts = await this.batched<{ logs?: unknown } | null>(
      'eth_getTransactionReceipt',
      hashes.map((h) => [h]),
      signal,
    );
    const out = new Map<string, RpcLog[]>();
    hashes.forEach((hash, i) => {
      const receipt = receipts[i];
      if (!receipt || !Array.isArray(receipt.logs)) {
        throw new RpcCallError(`eth_getTransactionReceipt(${hash}) returned no receipt: the node does not know the transaction`, {
          kind: 'fatal',
          reason: 'unknown transaction',
        });
      }
      out.set(hash, receipt.logs as RpcLog[]);
    });
    return out;
  }

  /** A block header by tag or number; null when the node does not know it (e.g. no "finalized" support). */
  async getHeader(block: bigint | 'latest' | 'finalized' | 'safe', signal?: AbortSignal): Promise<BlockHeader | null> {
    if (typeof block === 'bigint') {
      const hit = this.headers.get(block);
      if (hit) return hit;
    }
    const tag = typeof block === 'bigint' ? numberToHex(block) : block;
    const res = await this.call<RawBlock | null>('eth_getBlockByNumber', [tag, false], signal, false);
    if (!res.ok || res.value === null) return null;
    const h = toHeader(res.value);
    if (typeof block === 'bigint') this.opts.stats.blocksFetched++;
    // Only numbered lookups are cached: a tag moves, a number (under the safe head) does not.
    if (typeof block === 'bigint') this.headers.set(h.number, h);
    return h;
  }

  /** The chain's id (eth_chainId); `BlockClock` asks once per instance and keeps it. */
  async chainId(signal?: AbortSignal): Promise<number> {
    const res = await this.call<Hex>('eth_chainId', [], signal, false);
    if (!res.ok) throw new RpcCallError('eth_chainId refused', res.failure);
    return Number(BigInt(res.value));
  }

  async blockNumber(signal?: AbortSignal): Promise<bigint> {
    const res = await this.call<Hex>('eth_blockNumber', [], signal, false);
    if (!res.ok) throw new RpcCallError('eth_blockNumber refused', res.failure);
    return BigInt(res.value);
  }

  /**
   * Headers of many blocks, from the cache or batched eth_getBlockByNumber
   * (see `batched`).
   */
  async getHeaders(numbers: readonly bigint[], signal?: AbortSignal): Promise<Map<bigint, BlockHeader>> {
    const out = new Map<bigint, BlockHeader>();
    const missing: bigint[] = [];
    for (const n of new Set(numbers)) {
      const hit = this.headers.get(n);
      if (hit) {
        out.set(n, hit);
        this.opts.stats.timestampCacheHits++;
      } else missing.push(n);
    }
    if (missing.length === 0) return out;
    const blocks = await this.batched<RawBlock | null>(
      'eth_getBlockByNumber',
      missing.map((n) => [numberToHex(n), false]),
      signal,
    );
    missing.forEach((n, i) => {
      const block = blocks[i];
      if (!block) throw new RpcCallError(`eth_getBlockByNumber(${n}) returned null: block not known to the node`, { kind: 'fatal', reason: 'unknown block' });
      const h = toHeader(block);
      this.headers.set(n, h);
      this.opts.stats.blocksFetched++;
      out.set(n, h);
    });
    return out;
  }

  /**
   * One `method` call for each entry of `params`, answered in order. The
   * calls go out as JSON-RPC batches of `blockBatchSize` (viem's http batch
   * sends the calls made in one tick together); paced, each batch (one HTTP
   * request) waits for its own turn, so a long list is spread out at the
   * pace instead of sent at once. Transient failures retry only the calls
   * that failed, as a group, so a rate-limited batch is resent as a batch.
   */
  private async batched<T>(method: string, params: readonly unknown[][], signal: AbortSignal | undefined): Promise<T[]> {
    const out = new Array<T>(params.length);
    let missing = params.map((_, i) => i);
    const by = {};
    await withRetry(
      async () => {
        await this.waitOutHold(by, signal);
        const settled = await this.sendBatches<T>(
          method,
          missing.map((i) => params[i] as unknown[]),
          by,
          signal,
        );
        const still: number[] = [];
        let worst: { failure: RpcFailure & { kind: 'transient' }; cause: unknown } | undefined;
        settled.forEach((r, k) => {
          const i = missing[k] as number;
          if (r.status === 'fulfilled') {
            out[i] = r.value;
            return;
          }
          if (signal?.aborted) throw r.reason;
          const failure = this.failureOf(r.reason, by);
          if (failure.kind !== 'transient') throw new AttemptFailed(failure, r.reason);
          // The group waits as long as its most demanding refusal asked.
          if (!worst || (failure.retryAfterMs ?? 0) > (worst.failure.retryAfterMs ?? 0)) worst = { failure, cause: r.reason };
          still.push(i);
        });
        missing = still;
        if (worst) throw new AttemptFailed(worst.failure, worst.cause);
      },
      this.retrying(method, signal),
    );
    return out;
  }

  private async sendBatches<T>(method: string, params: readonly unknown[][], by: object, signal: AbortSignal | undefined): Promise<PromiseSettledResult<T>[]> {
    const send = (p: unknown[]) => {
      this.count(method);
      return this.batchClient.request({ method, params: p } as never, { signal } as never) as Promise<T>;
    };
    if (!this.opts.pacer) return Promise.allSettled(params.map(send));
    const sent: Promise<PromiseSettledResult<T>>[] = [];
    for (let i = 0; i < params.length; i += this.opts.blockBatchSize) {
      await this.takeTurn(by, signal);
      for (const p of params.slice(i, i + this.opts.blockBatchSize)) sent.push(settle(send(p)));
    }
    return Promise.all(sent);
  }
}

function settle<T>(p: Promise<T>): Promise<PromiseSettledResult<T>> {
  return p.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}

function toHeader(b: RawBlock): BlockHeader {
  return { number: BigInt(b.number), hash: b.hash.toLowerCase(), timestamp: Number(BigInt(b.timestamp)) };
}
