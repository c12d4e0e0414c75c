import { redactUrls } from '#shared/telemetry/redact.ts';

/** How one check came out: `fail` would stop a sync, `warn` would slow or weaken it, `ok` is fine. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  /** What was checked, e.g. "chain: eth_getLogs span". */
  name: string;
  status: CheckStatus;
  /** One line a person can act on; URLs redacted. */
  detail: string;
  /** The measured values, for `--json`. */
  data?: Record<string, unknown>;
}

export interface DoctorReport {
  /** False when any check failed: a sync would stop. */
  ok: boolean;
  checks: Check[];
  /** The settings the sync would use, URLs redacted. */
  settings: Record<string, unknown>;
}

export const check = (name: string, status: CheckStatus, detail: string, data?: Record<string, unknown>): Check => ({
  name,
  status,
  detail,
  ...(data ? { data } : {}),
});

/** Milliseconds since `start` (a performance.now() reading), rounded. */
export const elapsedMs = (start: number): number => Math.round(performance.now() - start);

export const thousands = (n: number | bigint): string => n.toLocaleString('en-US');

/**
 * An error in one line with what the network said underneath: "fetch
 * failed" alone names no cause, its `cause` does (ECONNREFUSED, ENOTFOUND,
 * a TLS error). URLs are redacted.
 */
export function causeText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    if (!(e instanceof Error)) {
      parts.push(String(e));
      break;
    }
    const code = (e as { code?: unknown }).code;
    const text = (e.message.split('\n')[0] ?? '').replace(/\.$/, '');
    if (text && !parts.some((p) => p.includes(text))) parts.push(typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text);
    e = e.cause;
  }
  return redactUrls(parts.join(': ').slice(0, 300) || 'unknown error');
}
