import { createPublicClient, http, numberToHex, type Address, type Hex } from 'viem';
import { classifyRpcError } from '#shared/sources/chain/errors.ts';

export interface ScanResult {
  /** `<tx>_<logIndex>` of every log read, in order. */
  ids: string[];
  /** Blocks whose timestamp was read (no blockTimestamp on the logs). */
  headers: number;
  getLogsCalls: number;
  refused: number;
  throttled: number;
  ms: number;
}

interface Log {
  blockNumber: Hex;
  transactionHash: Hex;
  logIndex: Hex;
  blockTimestamp?: Hex;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 429s in a row after which the scanner gives up: a provider that never lets it through is a failure, not a wait. */
const MAX_THROTTLES_IN_A_ROW = 120;

/**
 * Whether the provider answered 429, by the project's classifier (the HTTP
 * status, the JSON-RPC code, the provider's wording). Once a pattern over the
 * error's whole text: viem's message carries the URL, and a port with "429"
 * in it made every refused range look throttled, so the scanner retried it,
 * a second apart, forever.
 */
function isThrottled(err: unknown): boolean {
  const failure = classifyRpcError(err);
  return failure.kind === 'transient' && failure.rateLimited;
}

/**
 * What public scripts do: eth_getLogs over fixed spans, one call at a time,
 * from `from` to `to`; a span the provider refuses is halved until it fits
 * (then the next call is back at the fixed span), a 429 waits a second
 * (giving up after MAX_THROTTLES_IN_A_ROW in a row).
 * Timestamps come from the logs, or from one eth_getBlockByNumber per new
 * block (batched per call) when the provider does not send them.
 */
export async function scan(opts: {
  url: string;
  addresses: readonly Address[];
  topics: readonly Hex[];
  from: number;
  to: number;
  span: number;
  /** How long a 429 waits before the call is sent again; default a second. */
  throttleWaitMs?: number;
}): Promise<ScanResult> {
  const client = createPublicClient({ transport: http(opts.url, { retryCount: 0, batch: { batchSize: 50, wait: 0 }, timeout: 60_000 }) });
  const out: ScanResult = { ids: [], headers: 0, getLogsCalls: 0, refused: 0, throttled: 0, ms: 0 };
  const started = performance.now();
  const filter = { address: [...opts.addresses], topics: [[...opts.topics]] };
  const timestamps = new Map<string, bigint>();
  let pos = opts.from;
  let span = opts.span;
  let throttledInARow = 0;
  const waitOutThrottle = async (err: unknown) => {
    out.throttled++;
    if (++throttledInARow > MAX_THROTTLES_IN_A_ROW) throw new Error(`scanner: ${MAX_THROTTLES_IN_A_ROW} answers 429 in a row; giving up`, { cause: err });
    await sleep(opts.throttleWaitMs ?? 1000);
  };
  while (pos <= opts.to) {
    const end = Math.min(opts.to, pos + span - 1);
    let logs: Log[];
    try {
      out.getLogsCalls++;
      logs = (await client.request({
        method: 'eth_getLogs',
        params: [{ ...filter, fromBlock: numberToHex(pos), toBlock: numberToHex(end) }],
      } as never)) as Log[];
    } catch (err) {
      if (isThrottled(err)) await waitOutThrottle(err);
      else if (end > pos) {
        out.refused++;
        span = Math.max(1, Math.floor((end - pos + 1) / 2));
      } else throw err;
      continue;
    }
    const missing = [...new Set(logs.filter((l) => l.blockTimestamp === undefined && !timestamps.has(l.blockNumber)).map((l) => l.blockNumber))];
    while (missing.length > 0) {
      try {
        const blocks = await Promise.all(
          missing.map((b) => client.request({ method: 'eth_getBlockByNumber', params: [b, false] } as never) as Promise<{ timestamp: Hex }>),
        );
        blocks.forEach((b, i) => timestamps.set(missing[i] as string, BigInt(b.timestamp)));
        out.headers += missing.length;
        missing.length = 0;
      } catch (err) {
        if (!isThrottled(err)) throw err;
        await waitOutThrottle(err);
      }
    }
    throttledInARow = 0;
    for (const l of logs) out.ids.push(`${l.transactionHash.toLowerCase()}_${Number(BigInt(l.logIndex))}`);
    pos = end + 1;
    span = opts.span;
  }
  out.ms = performance.now() - started;
  return out;
}
