import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseError } from '@clickhouse/client';
import { RpcCallError } from '#shared/sources/chain/index.ts';
import { tagSource } from '#shared/sources/source-error.ts';
import { ConfigError } from '#shared/config.ts';
import { diagnose, failureMessage } from '#local/cli/diagnosis.ts';
import { DataDirInUseError, holdDataDir } from '#local/data-dir-lock.ts';

/** Errors as the layers under the CLI build them (Node's system errors, fetch's TypeError, ky, viem, the chain source, @clickhouse/client). */
const systemError = (code: string, message: string) => Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });
const fetchFailed = (cause: Error) => new TypeError('fetch failed', { cause });
const httpError = (status: number, url: string) =>
  Object.assign(new Error(`Request failed with status code ${status}: GET ${url}`), { name: 'HTTPError', response: { status }, request: { url } });

describe('diagnose', () => {
  it('a refused connection of a marked source: the service, its host only, the cause and the variable', () => {
    const err = tagSource(fetchFailed(systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:443')), { service: 'gamma-markets', host: '10.0.0.5' });
    const d = diagnose(err)!;
    expect(d).toMatchObject({ service: 'gamma-markets', host: '10.0.0.5', cause: 'refused' });
    expect(d.summary).toBe('the Gamma market list at 10.0.0.5: connection refused (nothing listens at that address and port)');
    expect(d.next[0]).toContain('POLYMARKET_GAMMA_URL');
    expect(d.next.join('\n')).toContain('--simulated');
  });

  it('an unresolvable host, wrapped by viem and the chain source: the RPC provider, host from the URL without its key', () => {
    const viem = Object.assign(new Error('HTTP request failed.'), {
      name: 'HttpRequestError',
      url: 'https://polygon-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWxYz012345',
      cause: fetchFailed(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND polygon-mainnet.g.alchemy.com')),
    });
    const err = new RpcCallError(
      'eth_blockNumber failed after 3 attempt(s): fetch failed',
      { kind: 'transient', reason: 'fetch failed', rateLimited: false, timeout: false },
      { cause: viem },
    );
    const message = failureMessage('sync', err, false);
    expect(message).toContain('sync failed: the Polygon RPC provider at polygon-mainnet.g.alchemy.com: cannot resolve the host name');
    expect(message).toContain('check POLYGON_RPC_URL');
    expect(message).not.toContain('AbCdEf');
  });

  it.each([
    [401, 'unauthorized', 'HTTP 401', 'check the key in POLYMARKET_SUBGRAPH_URL'],
    [403, 'forbidden', 'HTTP 403', 'check the key in POLYMARKET_SUBGRAPH_URL'],
    [429, 'rate-limited', 'HTTP 429', '_REQUESTS_PER_SECOND'],
  ])('HTTP %i from a source', (status, cause, words, next) => {
    const err = tagSource(httpError(status, 'https://api.goldsky.com/api/private/KEY/subgraphs/x?token=SECRET'), {
      service: 'subgraph',
      host: 'api.goldsky.com',
    });
    const d = diagnose(err)!;
    expect(d.cause).toBe(cause);
    expect(d.summary).toContain(`the Polymarket subgraph at api.goldsky.com: ${words}`);
    expect(d.next[0]).toContain(next);
    expect(failureMessage('sync', err, false)).not.toContain('SECRET');
  });

  it('a block range the provider refused, a TLS failure and a timeout', () => {
    const range = new RpcCallError('chain source: eth_getLogs refused block 5 alone: too many results', { kind: 'range', reason: 'x', limit: 'results' });
    expect(diagnose(range)).toMatchObject({ service: 'polygon-rpc', cause: 'range-refused' });
    expect(diagnose(range)!.next[0]).toContain('CHAIN_MAX_BLOCK_SPAN');
    const tls = tagSource(fetchFailed(systemError('CERT_HAS_EXPIRED', 'certificate has expired')), { service: 'clob-markets', host: 'clob.polymarket.com' });
    expect(diagnose(tls)).toMatchObject({ cause: 'tls', host: 'clob.polymarket.com' });
    const timeout = tagSource(Object.assign(new Error('Request timed out: GET https://gamma-api.polymarket.com/markets'), { name: 'TimeoutError' }), {
      service: 'gamma-markets',
      host: 'gamma-api.polymarket.com',
    });
    expect(diagnose(timeout)!.summary).toBe('the Gamma market list at gamma-api.polymarket.com: timed out waiting for an answer');
  });

  it("ClickHouse's authentication failure (code 516)", () => {
    const err = new ClickHouseError({
      message: 'default: Authentication failed: password is incorrect, or there is no user with such name.',
      code: '516',
      type: 'AUTHENTICATION_FAILED',
    });
    const d = diagnose(err)!;
    expect(d.cause).toBe('auth-failed');
    expect(d.summary).toContain('ClickHouse');
    expect(d.next[0]).toBe('check CLICKHOUSE_USER and CLICKHOUSE_PASSWORD');
  });

  it('a full disk, as Node reports a write that found no space', () => {
    const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    const message = failureMessage('sync', err, false);
    expect(message).toContain('sync failed: the disk is full (no space left on device)');
    expect(message).toContain('SYNC_DATA_DIR');
    expect(message).toContain('resumes');
  });

  it('a --stage command without AWS credentials, or without a network: names AWS and what to set, not the offline hints', () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const d = diagnose(missing)!;
    expect(d).toMatchObject({ service: 'aws', cause: 'no-credentials' });
    expect(d.summary).toBe('AWS: no credentials found (none in the environment, the shared AWS config, or an instance role)');
    expect(d.next[0]).toContain('AWS_PROFILE');
    expect(d.next.join('\n')).not.toContain('--simulated');

    const offline = Object.assign(new Error('getaddrinfo ENOTFOUND sqs.us-east-1.amazonaws.com'), {
      code: 'ENOTFOUND',
      hostname: 'sqs.us-east-1.amazonaws.com',
      $metadata: { attempts: 3 },
    });
    const o = diagnose(offline)!;
    expect(o).toMatchObject({ service: 'aws', host: 'sqs.us-east-1.amazonaws.com', cause: 'dns' });
    expect(o.summary).toMatch(/^AWS at sqs\.us-east-1\.amazonaws\.com: cannot resolve the host name/);
    expect(o.next.join('\n')).not.toContain('--simulated');
  });

  it('a database not created yet reads as no data, with how to get some', () => {
    const d = diagnose(new ClickHouseError({ message: 'Database polymarket does not exist.', code: '81', type: 'UNKNOWN_DATABASE' }))!;
    expect(d.summary).toContain('there is no data yet');
    expect(d.next.join('\n')).toContain('npm run sync -- --simulated');
  });
});

describe('failureMessage', () => {
  it('an unrecognised error: one redacted line and a pointer to --verbose; with --verbose the stack of every cause', () => {
    const err = new Error('boom at https://user:pw@example.com/path?key=SECRET', { cause: new Error('inner') });
    const quiet = failureMessage('status', err, false);
    expect(quiet).toBe('status failed: boom at https://example.com/path?…\n  (run again with --verbose for the whole error)');
    const loud = failureMessage('status', err, true);
    expect(loud).toMatch(/^\s+at /m);
    expect(loud).toContain('caused by: Error: inner');
    expect(loud).not.toContain('SECRET');
  });

  it('a configuration mistake is its own message', () => {
    expect(failureMessage('sync', new ConfigError('Configuration error: SOURCE_TIMEOUT_MS: expected a number'), false)).toBe(
      'Configuration error: SOURCE_TIMEOUT_MS: expected a number',
    );
  });
});

describe('holdDataDir', () => {
  it('refuses a directory a live process holds, names it, and takes over a stale lock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmsync-lock-'));
    const lock = join(dir, 'polymarket-sync.pid');
    // The parent of this process is alive for as long as the test runs.
    writeFileSync(lock, String(process.ppid));
    expect(() => holdDataDir(dir)).toThrow(DataDirInUseError);
    const err = (() => {
      try {
        holdDataDir(dir);
      } catch (e) {
        return e;
      }
    })();
    // A lock file written before it named the command: the pid alone.
    expect(diagnose(err)!.summary).toBe(`the data directory ${dir} is in use by another polymarket-sync process (pid ${process.ppid})`);
    writeFileSync(lock, `${process.ppid}\npolymarket-sync sync --simulated\n`);
    expect(() => holdDataDir(dir)).toThrow(`in use by process ${process.ppid} (polymarket-sync sync --simulated)`);
    // A pid no process has: stale.
    writeFileSync(lock, '2147483646');
    const release = holdDataDir(dir);
    expect(readFileSync(lock, 'utf8').split('\n')[0]).toBe(String(process.pid));
    const again = holdDataDir(dir);
    again();
    expect(existsSync(lock)).toBe(true);
    release();
    expect(existsSync(lock)).toBe(false);
  });
});
