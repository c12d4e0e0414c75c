import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { formatSoak, runSoak, SOAK_DEFAULTS, type SoakReport } from '#local/soak.ts';

/** The soak of `npm run soak`, small: the same fault mix over 50,000 fills. */
describe('chaos: a sync under source, S3, DynamoDB and ClickHouse faults ends exact', () => {
  let dir: string;
  let client: ClickHouseClient;
  let report: SoakReport;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pmsync-chaos-'));
    client = embeddedClient(dir);
    report = await runSoak({
      ...SOAK_DEFAULTS,
      fills: 50_000,
      markets: 500,
      seed: 3,
      sourceFaultRate: 0.04,
      clickhouseOutageMs: 6_000,
      client,
      database: 'chaos',
      // The faults make the handlers log failures by the hundred; they are expected.
      logLevel: 'CRITICAL',
    });
    console.log(formatSoak(report));
  }, 240_000);
  afterAll(async () => {
    await client?.close();
  });

  it('loads every fill exactly once: none lost, none duplicated even without FINAL', () => {
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
    expect(report.unexpected).toBe(0);
    expect(report.loaded).toEqual({ rows: 50_000, final: 50_000, distinct: 50_000 });
    expect(report.ok).toBe(true);
  });

  it('met every kind of fault on the way', () => {
    const kinds = Object.keys(report.faults).join('\n');
    for (const kind of [/subgraph 429/, /subgraph 50[023]/, /subgraph hang/, /subgraph cut/, /s3 put/, /s3 get/, /dynamodb/, /clickhouse unreachable/]) {
      expect(kinds).toMatch(kind);
    }
    expect(report.retries.source).toBeGreaterThan(0);
    expect(report.retries.awsSdk).toBeGreaterThan(0);
    expect(report.redeliveries).toBeGreaterThan(0);
  });
});
