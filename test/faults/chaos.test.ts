import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { allFaults, formatSoak, runSoak, soakCommand, SOAK_DEFAULTS, type SoakReport } from '#local/soak.ts';

describe('the soak command', () => {
  const opts = (argv: string[]) => {
    const command = soakCommand().action(() => undefined);
    command.parse(['node', 'soak', ...argv]);
    return command.opts<Record<string, unknown>>();
  };

  it('passes every fault rate and the provider cap, by default and from its flags', () => {
    expect(opts([])).toMatchObject({
      chainFaults: SOAK_DEFAULTS.chainFaultRate,
      rpcMaxResults: SOAK_DEFAULTS.rpcMaxResults,
      sqsFaults: SOAK_DEFAULTS.sqsFaultRate,
      sourceFaults: SOAK_DEFAULTS.sourceFaultRate,
      s3Faults: SOAK_DEFAULTS.s3FaultRate,
      dynamoFaults: SOAK_DEFAULTS.dynamoFaultRate,
    });
    expect(opts(['--chain-faults', '0.1', '--rpc-max-results', '500', '--sqs-faults', '0.02'])).toMatchObject({
      chainFaults: 0.1,
      rpcMaxResults: 500,
      sqsFaults: 0.02,
    });
  });

  it('refuses to run with a rate left out (it would inject nothing)', async () => {
    await expect(runSoak({ ...SOAK_DEFAULTS, chainFaultRate: undefined as unknown as number })).rejects.toThrow(/chainFaultRate/);
  });
});

/**
 * The soak of `npm run soak`, at smoke size: a simulated chain of about 6,000
 * fills (V2 and all activity read through a faulty JSON-RPC provider, V1 from
 * the subgraph) under the same fault mix, SQS included. Every kind is
 * scripted to happen at least once whatever the draws (the provider's result
 * cap is set low so the world's own pages exceed it); nothing here waits on time.
 */
describe('chaos: a sync under subgraph, list, JSON-RPC, S3, DynamoDB, SQS and ClickHouse faults ends exact', () => {
  let dir: string;
  let client: ClickHouseClient;
  let report: SoakReport;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pmsync-chaos-'));
    client = embeddedClient(dir);
    report = await runSoak({
      ...SOAK_DEFAULTS,
      fills: 6_000,
      markets: 40,
      seed: 3,
      sourceFaultRate: 0.04,
      chainFaultRate: 0.04,
      rpcMaxResults: 300,
      // Many small chain shards, as the soak's larger worlds have: every SQS call the fault script names then happens.
      chainRowsPerShard: 1_000,
      clickhouseOutageMs: 6_000,
      client,
      database: 'chaos',
      // The faults make the handlers log failures by the hundred; they are expected.
      logLevel: 'CRITICAL',
    });
    console.log(formatSoak(report));
  }, 600_000);
  afterAll(async () => {
    await client?.close();
  });

  it('loads every fill exactly once: none lost, none duplicated even without FINAL', () => {
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
    expect(report.unexpected).toBe(0);
    expect(report.fills).toBeGreaterThanOrEqual(6_000);
    expect(report.loaded).toEqual({ rows: report.fills, final: report.fills, distinct: report.fills });
    expect(report.ok).toBe(true);
  });

  it("loads the chain's activity exactly once and holds the positions the world's events give", () => {
    const a = report.activity;
    expect(a.expected).toBeGreaterThan(0);
    expect({ lost: a.lost, duplicates: a.duplicates, unexpected: a.unexpected }).toEqual({ lost: 0, duplicates: 0, unexpected: 0 });
    expect(a.loaded).toEqual({ rows: a.expected, final: a.expected, distinct: a.expected });
    expect(report.positions.examples).toEqual([]);
    expect(report.positions.differing).toBe(0);
    expect(report.positions.expected).toBeGreaterThan(100);
    expect(report.positions.loaded).toBe(report.positions.expected);
  });

  it('maps each Safe and proxy wallet to its owner at its first sighting, whatever order the retried loads landed in', () => {
    expect(report.wallets.examples).toEqual([]);
    expect(report.wallets.differing).toBe(0);
    expect(report.wallets.expected).toBeGreaterThan(10);
    expect(report.wallets.loaded).toBe(report.wallets.expected);
  });

  it('met every kind of fault on the way', () => {
    const kinds = Object.keys(allFaults(report));
    const chain = ['429', '429 Retry-After', '500', '502', '503', 'hang', 'cut', 'getLogs refused: more than N results', 'getLogs refused: response size'];
    const sqs = [
      /^sqs SendMessageBatch (400 RequestThrottled|500 InternalFailure|503 ServiceUnavailable)$/,
      /^sqs SendMessageBatch one entry Failed/,
      /^sqs SendMessageBatch: a call failed on every SDK attempt$/,
      /^sqs ReceiveMessage (400|500|503) /,
      /^sqs ReceiveMessage: a call failed on every SDK attempt$/,
      /^sqs DeleteMessageBatch (400|500|503) /,
      /^sqs DeleteMessageBatch one entry Failed/,
      /^sqs DeleteMessageBatch: a call failed on every SDK attempt$/,
      /^sqs ChangeMessageVisibilityBatch (400|500|503) /,
    ];
    const others = [
      /^subgraph 429/,
      /^subgraph 50[023]/,
      /^subgraph hang/,
      /^subgraph cut/,
      /^markets 429/,
      /^s3 put/,
      /^s3 get/,
      /^dynamodb/,
      /^clickhouse unreachable/,
    ];
    const missing = [
      ...chain.map((k) => `chain ${k}`).filter((k) => !kinds.includes(k)),
      ...[...sqs, ...others].filter((re) => !kinds.some((k) => re.test(k))).map(String),
    ];
    expect(missing).toEqual([]);
    expect(report.retries.source).toBeGreaterThan(0);
    expect(report.retries.awsSdk).toBeGreaterThan(0);
    expect(report.redeliveries).toBeGreaterThan(0);
  });
});
