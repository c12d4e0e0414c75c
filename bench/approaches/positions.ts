import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { refreshPositions } from '#shared/positions/refresh.ts';
import { assertIdentifier } from '#adapters/clickhouse/schema.ts';
import { countingClient } from '#bench/lib/instrument.ts';
import { extendEvents, generateBase } from '#bench/lib/positions-data.ts';
import type { ApproachRequest, ApproachResult, PositionsRefreshFigures, PositionsStepResult } from '#bench/lib/types.ts';
import { freshWarehouse } from './common.ts';

/** The database every step of the positions part works in. */
export const POSITIONS_DATABASE = 'bench_positions';

async function scalar(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<number> {
  const res = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  const [row] = (await res.json()) as { n: string | number }[];
  return Number(row?.n ?? 0);
}

/**
 * The product's `refreshPositions` up to `upToBlock` (the chain watermark
 * analogue), timed alone; then what the table holds and takes on disk.
 */
export async function measureRefresh(client: ClickHouseClient, database: string, upToBlock: number): Promise<PositionsRefreshFigures> {
  const db = assertIdentifier(database);
  const started = performance.now();
  const result = await refreshPositions(client, db, upToBlock);
  const wallMs = performance.now() - started;
  return {
    result,
    wallMs,
    positionsRows: await scalar(client, `SELECT count() AS n FROM ${db}.positions FINAL`),
    positionsBytesOnDisk: await scalar(
      client,
      `SELECT sum(bytes_on_disk) AS n FROM system.parts WHERE database = {db:String} AND table = 'positions' AND active`,
      { db },
    ),
  };
}

const emptyResult = (wallMs: number, positions: PositionsStepResult, inserts: number, events: number): ApproachResult => ({
  kind: 'positions',
  ok: true,
  wallMs,
  fillsLoaded: events,
  fillsInWarehouse: 0,
  clickhouseInserts: inserts,
  clientRequests: 0,
  clientThrottled: 0,
  extra: {},
  positions,
});

/**
 * One step of the positions part, in its own process so the refresh's
 * memory is its own: `generate` creates the warehouse and the base data,
 * `extend` adds new events in new blocks, `refresh` measures a refresh.
 * Every step opens the same chDB directory.
 */
export async function positionsStep(req: ApproachRequest, onBaseline: () => void): Promise<ApproachResult> {
  const step = req.positions;
  if (!step) throw new Error('a positions request names no step');
  if (step.step === 'generate') {
    const wh = await freshWarehouse(req.dir, POSITIONS_DATABASE);
    try {
      const started = performance.now();
      const events = await generateBase(wh.raw, wh.database, step.data);
      return emptyResult(performance.now() - started, { step: 'generate', events }, 0, events.fills + events.activity);
    } finally {
      await wh.raw.close();
    }
  }
  const raw = embeddedClient(join(req.dir, 'chdb'));
  try {
    if (step.step === 'extend') {
      const started = performance.now();
      const events = await extendEvents(raw, POSITIONS_DATABASE, step.data, step.share);
      return emptyResult(performance.now() - started, { step: 'extend', events }, 0, events.fills + events.activity);
    }
    // The engine open and its tables loaded before the baseline, as in a process that has been running.
    await scalar(raw, `SELECT count() AS n FROM ${POSITIONS_DATABASE}.positions_progress`);
    onBaseline();
    const counts = { inserts: 0 };
    const refresh = await measureRefresh(countingClient(raw, counts), POSITIONS_DATABASE, step.upToBlock);
    return emptyResult(refresh.wallMs, { step: 'refresh', refresh }, counts.inserts, refresh.result.events);
  } finally {
    await raw.close();
  }
}
