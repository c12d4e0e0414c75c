import type { Warehouse } from '#shared/ports/index.ts';
import type { SyncStatus } from '#shared/ops/status.ts';
import { getSomeData } from './diagnosis.ts';

/** Whether the warehouse has the sync's database at all (a fresh engine directory has not). */
export async function databaseExists(w: Warehouse): Promise<boolean> {
  const res = await w.client.query({
    query: 'SELECT count() AS n FROM system.databases WHERE name = {database:String}',
    query_params: { database: w.database },
    format: 'JSONEachRow',
  });
  return Number(((await res.json()) as [{ n: string | number }])[0].n) > 0;
}

/** True when no sync has ever run against this state: no watermark, no run open, no load. */
export function neverRun(s: SyncStatus): boolean {
  return s.openRun === null && s.lastLoadAt === null && s.sources.every((src) => src.watermark === null);
}

export const neverRunNote = (): string => ['no sync has recorded a run here yet.', ...getSomeData().map((s) => `  next: ${s}`)].join('\n');
