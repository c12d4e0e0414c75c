import type { ClickHouseClient } from '@clickhouse/client';

/** Events a search for loaded ones takes at once (their ids travel as a query parameter). */
const EVENT_LOOKUP_BATCH = 1_000;

export interface ActivityToLoad {
  /** The lines to insert. */
  lines: string[];
  /** Events loaded before under another wallet, whose old rows were deleted for these. */
  reattributed: number;
}

interface StagedEvent {
  event_id: string;
  block_number: number;
  wallet: string;
}

/**
 * A windowed run (a replay, a backfill) re-reads splits, merges, redemptions
 * and conversions already loaded, as it does fills. An event loaded with the
 * same wallet is left out, so `activity` holds each event once without FINAL.
 *
 * An event loaded with another wallet was attributed under other settings:
 * the collateral adapters (`CHAIN_ADAPTERS`) changed since, say an adapter
 * the first run did not know, whose users' activity went to the adapter
 * itself. Its old row is deleted and the new line goes in, so an operator
 * corrects the attribution by fixing the setting and replaying the window;
 * the windowed run's positions rebuild then follows the new rows. (The
 * table is keyed by wallet, so the new row would not replace the old one.)
 *
 * Lines of one object are always the same, so what is left goes in under the
 * object's token: a retry after the insert finds every event loaded with its
 * wallet and inserts nothing; a retry after the delete alone finds those
 * events missing and inserts the same lines as the first attempt.
 */
export async function activityToLoad(client: ClickHouseClient, db: string, lines: string[]): Promise<ActivityToLoad> {
  const events = lines.map((line) => JSON.parse(line) as StagedEvent);
  const loaded = new Map<string, Set<string>>();
  for (let i = 0; i < events.length; i += EVENT_LOOKUP_BATCH) {
    const batch = events.slice(i, i + EVENT_LOOKUP_BATCH);
    const blocks = batch.map((e) => e.block_number);
    const res = await client.query({
      // The block range lets the engine read only those blocks (the by_block projection); the ids decide.
      query: `SELECT DISTINCT event_id, wallet FROM ${db}.activity WHERE block_number BETWEEN {lo:UInt64} AND {hi:UInt64} AND event_id IN {ids:Array(String)}`,
      query_params: { lo: Math.min(...blocks), hi: Math.max(...blocks), ids: batch.map((e) => e.event_id) },
      format: 'JSONEachRow',
    });
    for (const row of (await res.json()) as { event_id: string; wallet: string }[]) {
      loaded.set(row.event_id, (loaded.get(row.event_id) ?? new Set()).add(row.wallet));
    }
  }
  const sameWallet = (e: StagedEvent) => {
    const wallets = loaded.get(e.event_id);
    return wallets !== undefined && wallets.size === 1 && wallets.has(e.wallet);
  };
  const moved = events.filter((e) => loaded.has(e.event_id) && !sameWallet(e));
  for (let i = 0; i < moved.length; i += EVENT_LOOKUP_BATCH) {
    const batch = moved.slice(i, i + EVENT_LOOKUP_BATCH);
    const blocks = batch.map((e) => e.block_number);
    await client.command({
      query: `DELETE FROM ${db}.activity WHERE block_number BETWEEN {lo:UInt64} AND {hi:UInt64} AND event_id IN {ids:Array(String)}`,
      query_params: { lo: Math.min(...blocks), hi: Math.max(...blocks), ids: batch.map((e) => e.event_id) },
    });
  }
  return { lines: lines.filter((_, i) => !sameWallet(events[i]!)), reattributed: moved.length };
}
