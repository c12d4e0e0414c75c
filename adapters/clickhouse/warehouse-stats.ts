import type { ClickHouseClient } from '@clickhouse/client';
import { assertIdentifier } from './schema.ts';
import { RUN_ID_PATTERN, STAGING_PREFIX } from '#shared/pipeline/messages.ts';
import type { RejectCount, WarehouseStats } from '#shared/ports/ops.ts';

/** Warehouse questions over the pipeline's tables; values go in as parameters, the database name is checked. */
export class ClickHouseWarehouseStats implements WarehouseStats {
  private readonly db: string;

  constructor(
    private readonly client: ClickHouseClient,
    database: string,
  ) {
    this.db = assertIdentifier(database);
  }

  async latestRunId(): Promise<string | null> {
    const res = await this.client.query({
      query: `SELECT max(run) AS run FROM (
                SELECT max(extract(staged_object, {re:String})) AS run FROM ${this.db}.fills
                UNION ALL SELECT max(extract(staged_object, {re:String})) FROM ${this.db}.rejects
                UNION ALL SELECT max(extract(staged_object, {re:String})) FROM ${this.db}.markets)`,
      query_params: { re: `^${STAGING_PREFIX}([^/]+)/` },
      format: 'JSONEachRow',
    });
    const [row] = (await res.json()) as { run: string }[];
    return row?.run && RUN_ID_PATTERN.test(row.run) ? row.run : null;
  }

  async rejectsOfRun(runId: string): Promise<RejectCount[]> {
    if (!RUN_ID_PATTERN.test(runId)) throw new Error('not a run id');
    const res = await this.client.query({
      query: `SELECT source, reason, count() AS n FROM ${this.db}.rejects
              WHERE startsWith(staged_object, {prefix:String})
              GROUP BY source, reason ORDER BY n DESC, source, reason LIMIT 100`,
      query_params: { prefix: `${STAGING_PREFIX}${runId}/` },
      format: 'JSONEachRow',
    });
    return ((await res.json()) as { source: string; reason: string; n: string }[]).map((r) => ({
      source: r.source,
      reason: r.reason,
      count: Number(r.n),
    }));
  }
}
