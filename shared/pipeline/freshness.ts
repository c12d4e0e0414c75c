import type { StateStore } from '#shared/ports/state.ts';

export interface Freshness {
  /** Seconds since the loader last acknowledged an insert; null before the first load. */
  secondsSinceLastLoad: number | null;
  /** Seconds between now and the newest fill loaded from any source; null before the first fill. */
  newestFillLagSeconds: number | null;
}

export async function measureFreshness(state: StateStore, nowMs: number): Promise<Freshness> {
  const heartbeat = await state.getLoadHeartbeat();
  if (!heartbeat) return { secondsSinceLastLoad: null, newestFillLagSeconds: null };
  const newest = Math.max(...Object.values(heartbeat.newestFill).filter((v): v is number => typeof v === 'number'));
  return {
    secondsSinceLastLoad: Math.max(0, Math.round((nowMs - heartbeat.lastLoadAt) / 1000)),
    newestFillLagSeconds: Number.isFinite(newest) ? Math.max(0, Math.round(nowMs / 1000 - newest)) : null,
  };
}
