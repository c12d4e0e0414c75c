import { describe, expect, it } from 'vitest';
import { ChainRpc, RpcCallError, type ChainRpcOptions, type ChainSourceEvent } from '#shared/sources/chain/rpc.ts';
import { newStats } from '#shared/sources/chain/stats.ts';

/**
 * ChainRpc's retries through the shared retry loop, against a scripted
 * fetch: each HTTP request takes the next answer (then a default one), and
 * sleeps are recorded instead of waited.
 */

type Answer = { status: number; headers?: Record<string, string>; body: unknown };
type Call = { id: number; method: string; params: unknown[] };

const ok = (result: (call: Call) => unknown) => (call: Call) => ({ jsonrpc: '2.0', id: call.id, result: result(call) });
const header = (n: bigint) => ({
  number: `0x${n.toString(16)}`,
  hash: `0x${n.toString(16).padStart(64, '0')}`,
  timestamp: `0x${(1_700_000_000n + n).toString(16)}`,
});
/** A receipt whose one log names its transaction; the node knows no transaction whose hash ends in 'dead'. */
const receipt = (hash: string) => (hash.endsWith('dead') ? null : { transactionHash: hash, logs: [{ transactionHash: hash, logIndex: '0x0' }] });
const blocks = ok((call) => {
  if (call.method === 'eth_blockNumber') return '0x10';
  if (call.method === 'eth_getLogs') return [];
  if (call.method === 'eth_getTransactionReceipt') return receipt(call.params[0] as string);
  return header(BigInt(call.params[0] as string));
});

/** An answer, or one made from the request's calls (JSON-RPC answers must echo their ids). */
type Scripted = Answer | ((calls: Call[]) => Answer);

let rpcs = 0;
function scriptedRpc(script: Scripted[], options: Partial<ChainRpcOptions> = {}) {
  const waits: number[] = [];
  const events: ChainSourceEvent[] = [];
  const methods: string[][] = [];
  const fetchFn: typeof fetch = async (_input, init) => {
    const parsed = JSON.parse(String(init?.body)) as Call | Call[];
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    methods.push(calls.map((c) => c.method));
    const scripted = script.shift();
    const answer: Answer =
      typeof scripted === 'function'
        ? scripted(calls)
        : (scripted ?? { status: 200, body: Array.isArray(parsed) ? calls.map(blocks) : blocks(calls[0] as Call) });
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json', ...answer.headers } });
  };
  const stats = newStats();
  const rpc = new ChainRpc({
    // A provider of its own: a Retry-After holds every client of a provider in the process.
    rpcUrl: `http://rpc-${++rpcs}.test`,
    timeoutMs: 5_000,
    maxRetries: 3,
    retryBaseDelayMs: 10,
    retryMaxDelayMs: 1_000,
    maxRetryAfterMs: 5_000,
    blockBatchSize: 10,
    timestampCacheSize: 100,
    stats,
    fetchFn,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { rpc, stats, waits, events, methods };
}

const tooMany = { status: 429, headers: { 'retry-after': '2' }, body: 'Too Many Requests' };
const serverError = { status: 500, body: 'boom' };

describe('ChainRpc retries', () => {
  it("waits a 429's Retry-After, counts the retry, then answers", async () => {
    const { rpc, stats, waits, events } = scriptedRpc([tooMany]);
    expect(await rpc.blockNumber()).toBe(16n);
    expect(waits).toEqual([2_000]);
    expect(stats).toMatchObject({ retries: 1, retryWaitMs: 2_000, rateLimited: 1, httpRequests: 2 });
    expect(events).toMatchObject([{ type: 'retry', method: 'eth_blockNumber', attempt: 1, delayMs: 2_000 }]);
  });

  it("holds every other call of the source until a 429's Retry-After has passed, not only the one refused", async () => {
    let clock = 0;
    let other: Promise<unknown> | undefined;
    const { rpc, waits, methods } = scriptedRpc([tooMany], {
      now: () => clock,
      // Half a second after the 429 (Retry-After: 2), the fetcher's other shard asks for its logs.
      onEvent: (e) => {
        if (e.type !== 'retry' || other) return;
        clock = 500;
        other = rpc.getLogs([], '0x01', 1n, 2n);
      },
    });
    expect(await rpc.blockNumber()).toBe(16n);
    await other;
    // The other call waited out the 1.5 s left of the hold; the refused one its own 2 s, once.
    expect([...waits].sort((a, b) => a - b)).toEqual([1_500, 2_000]);
    expect(methods.flat().sort()).toEqual(['eth_blockNumber', 'eth_blockNumber', 'eth_getLogs']);
    // Once the hold is over, calls go straight out.
    clock = 2_500;
    await rpc.getLogs([], '0x01', 3n, 4n);
    expect(waits).toHaveLength(2);
  });

  it('holds a call that was waiting for its turn at the pacer when the Retry-After came', async () => {
    let clock = 0;
    let turns = 0;
    let giveTurn: (() => void) | undefined;
    // The first turn is held back until the test gives it; the others come at once.
    const pacer = () => (++turns === 1 ? new Promise<void>((resolve) => (giveTurn = resolve)) : Promise.resolve());
    const { rpc, waits } = scriptedRpc([tooMany], { now: () => clock, pacer });
    const waiting = rpc.getLogs([], '0x01', 1n, 2n);
    // The other shard's call takes the next turn, is answered 429 (Retry-After: 2) and, retried, answered.
    expect(await rpc.blockNumber()).toBe(16n);
    expect(waits).toEqual([2_000]);
    // Half a second after the 429, the first call's turn comes: it waits out the 1.5 s left before it goes.
    clock = 500;
    giveTurn?.();
    await waiting;
    expect(waits).toEqual([2_000, 1_500]);
  });

  it('backs off with equal jitter and fails naming the attempts once the retries run out', async () => {
    const { rpc, waits, stats } = scriptedRpc([serverError, serverError, serverError, serverError]);
    const err = await rpc.blockNumber().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcCallError);
    expect((err as RpcCallError).message).toMatch(/^eth_blockNumber failed after 4 attempt\(s\)/);
    expect((err as RpcCallError).failure.kind).toBe('transient');
    // random() = 0: the low end of [step/2, step] for steps 10, 20, 40.
    expect(waits).toEqual([5, 10, 20]);
    expect(stats.rpcCalls.eth_blockNumber).toBe(4);
  });

  it('fails at once when the provider asks for a wait past the cap', async () => {
    const { rpc, waits } = scriptedRpc([{ ...tooMany, headers: { 'retry-after': '60' } }]);
    await expect(rpc.blockNumber()).rejects.toThrow(/asked to retry after 60000 ms, more than the 5000 ms allowed/);
    expect(waits).toEqual([]);
  });

  it('returns a refused eth_getLogs range to the caller without retrying it', async () => {
    const refusal = (calls: Call[]) => ({
      status: 200,
      body: { jsonrpc: '2.0', id: calls[0]?.id, error: { code: -32005, message: 'query returned more than 10000 results' } },
    });
    const { rpc, waits, stats } = scriptedRpc([refusal]);
    const res = await rpc.getLogs(['0x0000000000000000000000000000000000000001'], '0x01', 1n, 100n);
    expect(res).toMatchObject({ ok: false, failure: { kind: 'range', limit: 'results', maxResults: 10_000 } });
    expect(waits).toEqual([]);
    expect(stats).toMatchObject({ getLogsCalls: 1, getLogsRefused: 1, retries: 0 });
  });

  it('resends only the missing headers as a batch, and serves repeats from the LRU cache', async () => {
    // Block 2's call is rate-limited inside an otherwise answered batch.
    const partly = (calls: Call[]) => ({
      status: 200,
      body: calls.map((c) => (c.params[0] === '0x2' ? { jsonrpc: '2.0', id: c.id, error: { code: 429, message: 'rate limited' } } : blocks(c))),
    });
    const { rpc, stats, methods, waits } = scriptedRpc([partly], { timestampCacheSize: 3 });
    const first = await rpc.getHeaders([1n, 2n, 3n]);
    expect([...first.keys()].sort()).toEqual([1n, 2n, 3n]);
    expect(first.get(2n)?.timestamp).toBe(1_700_000_002);
    expect(methods).toEqual([Array(3).fill('eth_getBlockByNumber'), ['eth_getBlockByNumber']]);
    expect(waits).toEqual([5]);
    expect(stats).toMatchObject({ retries: 1, rateLimited: 1, blocksFetched: 3, timestampCacheHits: 0 });

    await rpc.getHeaders([2n, 3n]);
    expect(stats.timestampCacheHits).toBe(2);
    expect(methods).toHaveLength(2);

    // Capacity 3: block 4 evicts the least recently used (block 1).
    await rpc.getHeaders([4n]);
    await rpc.getHeaders([1n]);
    expect(stats.blocksFetched).toBe(5);
    expect(stats.timestampCacheHits).toBe(2);
  });

  const txHash = (i: number) => `0x${i.toString(16).padStart(64, '0')}`;

  it('reads transaction receipts in JSON-RPC batches of the batch size, resending only the calls a 429 refused', async () => {
    const hashes = Array.from({ length: 23 }, (_, i) => txHash(i + 1));
    // The second batch has one call rate-limited inside it; the others are answered whole.
    const partly = (calls: Call[]) => ({
      status: 200,
      body: calls.map((c) => (c.params[0] === txHash(15) ? { jsonrpc: '2.0', id: c.id, error: { code: 429, message: 'rate limited' } } : blocks(c))),
    });
    const answered = (calls: Call[]) => ({ status: 200, body: calls.map(blocks) });
    const { rpc, stats, methods } = scriptedRpc([answered, partly, answered]);
    // A repeat, in other letter case, is asked once.
    const logs = await rpc.getTransactionLogs([...hashes, hashes[0]!.toUpperCase().replace('0X', '0x')]);
    expect([...logs.keys()]).toEqual(hashes);
    for (const h of hashes) expect(logs.get(h)).toEqual([{ transactionHash: h, logIndex: '0x0' }]);
    expect(methods.map((m) => m.length)).toEqual([10, 10, 3, 1]);
    expect(methods.flat().every((m) => m === 'eth_getTransactionReceipt')).toBe(true);
    expect(stats).toMatchObject({ httpRequests: 4, retries: 1, rateLimited: 1, rpcCalls: { eth_getTransactionReceipt: 24 } });
  });

  it('paced, each batch of receipts waits for a turn of its own', async () => {
    let turns = 0;
    const { rpc, methods } = scriptedRpc([], { pacer: async () => void turns++ });
    await rpc.getTransactionLogs(Array.from({ length: 25 }, (_, i) => txHash(i + 1)));
    expect(turns).toBe(3);
    expect(methods.map((m) => m.length)).toEqual([10, 10, 5]);
  });

  it('fails naming a transaction the node does not know, and sends nothing for no transactions', async () => {
    const { rpc, methods } = scriptedRpc([]);
    expect(await rpc.getTransactionLogs([])).toEqual(new Map());
    expect(methods).toEqual([]);
    const unknown = `0x${'0'.repeat(60)}dead`;
    await expect(rpc.getTransactionLogs([txHash(1), unknown])).rejects.toThrow(
      new RegExp(`eth_getTransactionReceipt\\(${unknown}\\) returned no receipt: the node does not know the transaction`),
    );
  });
});
