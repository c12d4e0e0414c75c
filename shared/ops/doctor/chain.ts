import type { Hex } from 'viem';
import { redactUrls } from '#shared/telemetry/redact.ts';
import { sourcePacer } from '#shared/sources/pacing.ts';
import type { RpcFailure } from '#shared/sources/chain/errors.ts';
import { check, thousands, type Check } from './types.ts';
import { DEFAULT_RESULT_CAP, DEFAULT_SPAN, probeResults, probeSpan, type LogFilter } from './log-limits.ts';
import { failureText, probeRpc } from './rpc.ts';
import { blockTimesCheck } from './block-times.ts';
import { POLYGON_CHAIN_ID } from '#shared/sources/chain/block-times.ts';

export { POLYGON_CHAIN_ID };
/** Calls in the rate probe's burst. */
export const RATE_BURST_CALLS = 10;

export interface ChainProbeInput {
  url: string;
  timeoutMs: number;
  /** The chain the sync must read: 137 (Polygon), or the simulated chain's id. */
  expectedChainId: number;
  useFinalized: boolean;
  confirmations: number;
  /** The contracts and topics the sync reads (its catalogue). */
  filter: LogFilter;
  /** CHAIN_MAX_BLOCK_SPAN / CHAIN_MAX_LOGS_PER_REQUEST, when set. */
  maxBlockSpan?: number | undefined;
  maxLogsPerRequest?: number | undefined;
  /** This process's share of CHAIN_REQUESTS_PER_SECOND, when set. */
  requestsPerSecond?: number | undefined;
  /** CHAIN_INFER_TIMESTAMPS (default true). */
  inferTimestamps?: boolean | undefined;
}

interface RawBlock {
  number: Hex;
}

/** Everything the chain source needs of its provider, each as a check. Stops after the first check when the provider cannot be reached. */
export async function probeChain(input: ChainProbeInput): Promise<Check[]> {
  const host = redactUrls(input.url);
  const rpc = probeRpc({ url: input.url, timeoutMs: input.timeoutMs });
  const checks: Check[] = [];

  const id = await rpc.call<Hex>('eth_chainId');
  if (!id.ok) {
    return [
      check(
        'chain: reachable',
        'fail',
        `${host} did not answer eth_chainId: ${id.failure.kind === 'transient' && id.failure.timeout ? failureText(id.failure) : id.cause}; check POLYGON_RPC_URL, or try --simulated`,
      ),
    ];
  }
  checks.push(check('chain: reachable', 'ok', `${host} answered in ${id.ms} ms`, { latencyMs: id.ms }));
  const chainId = Number(BigInt(id.value));
  checks.push(
    chainId === input.expectedChainId
      ? check('chain: chain id', 'ok', `${chainId}${chainId === POLYGON_CHAIN_ID ? ' (Polygon)' : ''}`, { chainId })
      : check(
          'chain: chain id',
          'fail',
          `${chainId}, expected ${input.expectedChainId}${input.expectedChainId === POLYGON_CHAIN_ID ? ' (Polygon)' : ''}: POLYGON_RPC_URL points at another chain`,
          { chainId, expected: input.expectedChainId },
        ),
  );

  const latest = await rpc.call<Hex>('eth_blockNumber');
  if (!latest.ok) {
    checks.push(check('chain: head', 'fail', `eth_blockNumber failed: ${failureText(latest.failure)}`));
    return checks;
  }
  const head = BigInt(latest.value);
  const fin = await rpc.call<RawBlock | null>('eth_getBlockByNumber', ['finalized', false]);
  const finalized = fin.ok && fin.value ? BigInt(fin.value.number) : null;
  const byConfirmations = head - BigInt(input.confirmations);
  const safe = input.useFinalized && finalized !== null && finalized < byConfirmations ? finalized : byConfirmations;
  checks.push(headCheck(input, head, finalized, safe, fin.ok ? null : fin.failure));

  const span = await probeSpan(rpc, input.filter, safe, input.maxBlockSpan ?? DEFAULT_SPAN);
  checks.push(spanCheck(span, input.maxBlockSpan));
  if (span.accepted > 0) {
    const cap = input.maxLogsPerRequest ?? DEFAULT_RESULT_CAP;
    const results = await probeResults(rpc, input.filter, safe, span.accepted, cap);
    checks.push(resultCheck(results, input.maxLogsPerRequest), timestampCheck(results.blockTimestamp, results.error));
    if (results.blockTimestamp !== true) checks.push(await blockTimesCheck(rpc, chainId, safe, input.inferTimestamps ?? true));
  }
  checks.push(await rateCheck(input));
  return checks;
}

function headCheck(input: ChainProbeInput, head: bigint, finalized: bigint | null, safe: bigint, finFailure: RpcFailure | null): Check {
  const data = { latest: head.toString(), finalized: finalized?.toString() ?? null, safeHead: safe.toString() };
  const base = `latest ${thousands(head)}`;
  if (finFailure?.kind === 'transient') {
    // Throttled, dropped or slow on every attempt: that says nothing about whether the provider serves the tag (the sync retries such calls).
    return check(
      'chain: head',
      'warn',
      `${base}; the "finalized" block could not be read (${failureText(finFailure)}), so whether the provider serves the tag is unknown: run the doctor again`,
      data,
    );
  }
  if (finalized !== null) {
    const lag = head - finalized;
    const use = input.useFinalized ? '' : ' (not used: CHAIN_USE_FINALIZED=false)';
    return check(
      'chain: head',
      'ok',
      `${base}, finalized ${thousands(finalized)} (${thousands(lag)} behind)${use}; the sync reads up to ${thousands(safe)}`,
      data,
    );
  }
  const why = finFailure ? `: ${failureText(finFailure)}` : '';
  if (input.useFinalized) {
    return check(
      'chain: head',
      'fail',
      `${base}; the provider does not serve the "finalized" block tag${why}: set CHAIN_USE_FINALIZED=false and CHAIN_CONFIRMATIONS to a reorg-safe depth`,
      data,
    );
  }
  return check(
    'chain: head',
    input.confirmations > 0 ? 'ok' : 'warn',
    `${base}; no "finalized" tag (not used: CHAIN_USE_FINALIZED=false); the sync reads up to ${thousands(safe)}, ${input.confirmations} confirmations${input.confirmations > 0 ? '' : ': set CHAIN_CONFIRMATIONS to a reorg-safe depth'}`,
    data,
  );
}

function spanCheck(p: Awaited<ReturnType<typeof probeSpan>>, configured: number | undefined): Check {
  const name = 'chain: eth_getLogs span';
  const data = { acceptedBlocks: p.accepted, refusedBlocks: p.refused, statedCap: p.stated, calls: p.calls, configured: configured ?? null };
  if (p.error && p.accepted === 0) return check(name, p.timedOut ? 'warn' : 'fail', `eth_getLogs failed: ${p.error}`, data);
  if (p.error) return check(name, 'warn', `accepts ${thousands(p.accepted)} blocks; a larger span failed: ${p.error}`, data);
  if (p.accepted === 0) return check(name, 'fail', `refused every span tried, down to ${thousands(p.refused ?? 0)} blocks`, data);
  const cap = configured ?? DEFAULT_SPAN;
  const range = p.refused === null ? `at least ${thousands(p.accepted)} blocks` : `${thousands(p.accepted)} blocks (${thousands(p.refused)} refused)`;
  const setting = configured === undefined ? `CHAIN_MAX_BLOCK_SPAN unset (${thousands(DEFAULT_SPAN)})` : `CHAIN_MAX_BLOCK_SPAN=${configured}`;
  if (p.accepted < cap) {
    return check(name, 'warn', `accepts ${range}, below ${setting}: set CHAIN_MAX_BLOCK_SPAN=${p.accepted} (the sync would be refused and split ranges)`, data);
  }
  return check(name, 'ok', `accepts ${range}; ${setting}`, data);
}

function resultCheck(p: Awaited<ReturnType<typeof probeResults>>, configured: number | undefined): Check {
  const name = 'chain: eth_getLogs results';
  const data = {
    largestAccepted: p.largestAccepted,
    acceptedSpan: p.acceptedSpan,
    refused: p.refused,
    statedCap: p.stated,
    logsPerBlock: p.density,
    calls: p.calls,
  };
  if (p.error) {
    const accepted = p.largestAccepted > 0 ? ` after accepting ${thousands(p.largestAccepted)}` : '';
    return check(name, p.timedOut ? 'warn' : 'fail', `eth_getLogs failed${accepted}: ${p.error}`, data);
  }
  const cap = configured ?? DEFAULT_RESULT_CAP;
  const setting = configured === undefined ? `CHAIN_MAX_LOGS_PER_REQUEST unset (${thousands(DEFAULT_RESULT_CAP)})` : `CHAIN_MAX_LOGS_PER_REQUEST=${configured}`;
  if (p.refused) {
    const limit = p.stated !== null ? `refuses more than ${thousands(p.stated)} results` : `refused a larger request (${p.reason ?? 'no reason given'})`;
    const known = p.stated ?? p.largestAccepted;
    const accepted = p.largestAccepted > 0 ? `, accepted ${thousands(p.largestAccepted)}` : '';
    if (known < cap) return check(name, 'warn', `${limit}${accepted}, below ${setting}: set CHAIN_MAX_LOGS_PER_REQUEST=${known}`, data);
    return check(name, 'ok', `${limit}${accepted}; ${setting}`, data);
  }
  if (p.largestAccepted === 0) return check(name, 'warn', 'no logs of the synced contracts near the head: the result cap could not be measured', data);
  const within =
    p.largestAccepted >= cap
      ? `no cap met; ${setting}`
      : `all the last ${thousands(p.acceptedSpan)} blocks hold, so a cap above it is not measured; ${setting}`;
  return check(name, 'ok', `accepted ${thousands(p.largestAccepted)} results in one call (${within})`, data);
}

function timestampCheck(has: boolean | null, error: string | null): Check {
  const name = 'chain: blockTimestamp';
  if (has === true) return check(name, 'ok', 'logs carry blockTimestamp: no header lookups for timestamps', { blockTimestamp: true });
  if (has === false) {
    return check(name, 'warn', 'logs lack blockTimestamp: the sync fetches block headers for timestamps (more calls)', { blockTimestamp: false });
  }
  return check(name, 'warn', `unknown: ${error ?? 'no log came back to look at'}`, { blockTimestamp: null });
}

/**
 * A short burst of eth_blockNumber calls, paced at this process's share of
 * CHAIN_REQUESTS_PER_SECOND when set (never faster than the sync would go),
 * else a few at a time. No retries: every 429 is counted.
 */
async function rateCheck(input: ChainProbeInput): Promise<Check> {
  const name = 'chain: rate';
  const rpc = probeRpc({ url: input.url, timeoutMs: input.timeoutMs, attempts: 1 });
  const pace = input.requestsPerSecond !== undefined ? sourcePacer({ source: 'chain', requestsPerSecond: input.requestsPerSecond }) : undefined;
  const start = performance.now();
  let errors = 0;
  const one = async () => {
    if (pace) await pace();
    const res = await rpc.call<Hex>('eth_blockNumber');
    if (!res.ok && !(res.failure.kind === 'transient' && res.failure.rateLimited)) errors++;
  };
  if (pace) for (let i = 0; i < RATE_BURST_CALLS; i++) await one();
  else {
    const worker = async () => {
      for (let i = 0; i < RATE_BURST_CALLS / 5; i++) await one();
    };
    await Promise.all(Array.from({ length: 5 }, worker));
  }
  const seconds = Math.max(0.001, (performance.now() - start) / 1000);
  const perSecond = Math.round((RATE_BURST_CALLS / seconds) * 10) / 10;
  const throttled = rpc.throttled;
  const data = { calls: RATE_BURST_CALLS, callsPerSecond: perSecond, throttled, errors, configured: input.requestsPerSecond ?? null };
  const setting = input.requestsPerSecond === undefined ? 'unpaced: CHAIN_REQUESTS_PER_SECOND unset' : `paced at ${input.requestsPerSecond}/s`;
  const measured = `${RATE_BURST_CALLS} calls at ${perSecond} calls/s (${setting})`;
  if (throttled > 0) {
    return check(name, 'warn', `${measured}: ${throttled} answered 429; set CHAIN_REQUESTS_PER_SECOND below ${perSecond}`, data);
  }
  if (errors > 0) return check(name, 'warn', `${measured}: ${errors} failed`, data);
  return check(name, 'ok', `${measured}, no 429`, data);
}
