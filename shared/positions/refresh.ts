import type { ClickHouseClient } from '@clickhouse/client';
import { assertIdentifier } from '#adapters/clickhouse/schema.ts';
import type { SkipRules } from './contracts.ts';
import {
  emptyStats,
  methodContext,
  positionFromRow,
  positionRow,
  WalletLedger,
  type MethodStats,
  type PositionRow,
  type SkipReason,
  type WalletPositions,
} from './method.ts';
import {
  avgPriceIsSigned,
  changedWallets,
  insertPositions,
  loadConditions,
  loadPositions,
  loadQuestions,
  positionVersion,
  readPartial,
  readProgress,
  streamEvents,
  writePartial,
  writeProgress,
  type Batch,
} from '#adapters/clickhouse/positions-store.ts';

export interface RefreshOptions {
  /** Wallets whose positions, events and lookups are read together. */
  walletsPerBatch?: number;
  /** Position rows per insert, rounded up to a whole wallet: an insert never splits a wallet's rows. */
  rowsPerInsert?: number;
  skip?: SkipRules;
  /**
   * Asked after each batch of wallets: true stops the refresh there (a
   * Lambda's time budget). It records the last wallet done, and the next
   * refresh resumes after it, for the same window of blocks.
   */
  shouldStop?: () => boolean;
}

export interface RefreshResult {
  /** Positions were current through this block before (exclusive end of the window). */
  fromBlock: number;
  /** And are current through this one now. */
  upToBlock: number;
  /** Wallets with events in the window. */
  wallets: number;
  /** Events read in the window (duplicate rows excluded). */
  events: number;
  positionsWritten: number;
  /** Rows repeating an event (not merged away yet), dropped. */
  duplicates: number;
  /** Events the method left out, by reason (see method.ts SKIP_REASONS). */
  skipped: Record<SkipReason, number>;
  /**
   * False when it stopped before positions reached the block asked for: cut
   * short by `shouldStop` (wallets and events then count the window so far),
   * or it finished a window an earlier refresh began, which ends lower.
   */
  complete: boolean;
}

/** What a refresh did (the name the pipeline's derive step uses). */
export type PositionsRefresh = RefreshResult;

export const DEFAULT_WALLETS_PER_BATCH = 2_000;
export const DEFAULT_ROWS_PER_INSERT = 100_000;

/**
 * Brings `positions` up to `upToBlock` by applying the events in (last
 * refresh, upToBlock] to the positions of the wallets they concern, then
 * records the refresh in `positions_progress`.
 *
 * Safe to kill at any point and run again: a position carries its last
 * event's chain point, and an event at or before it is not applied twice.
 * That needs each wallet's rows to land together (a NegRisk conversion
 * reads one position to write others), so an insert holds whole wallets
 * and stays far below the size at which ClickHouse splits an insert.
 *
 * Events must be loaded through `upToBlock` before this runs: an event
 * that arrives later for an earlier block is never applied.
 */
export async function refreshPositions(client: ClickHouseClient, database: string, upToBlock: number, opts: RefreshOptions = {}): Promise<RefreshResult> {
  const db = assertIdentifier(database);
  if (!Number.isSafeInteger(upToBlock) || upToBlock < 0) throw new Error(`upToBlock must be a block number, got ${upToBlock}`);
  const walletsPerBatch = opts.walletsPerBatch ?? DEFAULT_WALLETS_PER_BATCH;
  const rowsPerInsert = opts.rowsPerInsert ?? DEFAULT_ROWS_PER_INSERT;
  const fromBlock = await readProgress(client, db);
  // A window an earlier refresh began is finished first, up to where it was going.
  const resumed = await readPartial(client, db, fromBlock);
  const target = resumed?.upToBlock ?? upToBlock;
  const stats = emptyStats();
  const eventsSoFar = () => (resumed?.events ?? 0) + stats.events;
  const done = (upTo: number, wallets: number, positionsWritten: number, complete: boolean): RefreshResult => ({
    fromBlock,
    upToBlock: upTo,
    wallets,
    events: eventsSoFar(),
    positionsWritten,
    duplicates: stats.duplicates,
    skipped: stats.skipped,
    complete,
  });
  if (target <= fromBlock) return done(fromBlock, 0, 0, true);

  const window = { from: fromBlock, to: target };
  const signedAvgPrice = await avgPriceIsSigned(client, db);
  // A resumed refresh lists only the wallets after the last one done.
  const wallets = await changedWallets(client, db, window, resumed?.throughWallet);
  const walletsBefore = resumed?.wallets ?? 0;
  let pending: PositionRow[] = [];
  let written = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    await insertPositions(client, db, pending);
    written += pending.length;
    pending = [];
  };

  for (let i = 0; i < wallets.length; i += walletsPerBatch) {
    const batch = wallets.slice(i, i + walletsPerBatch);
    const range = { ...window, lo: batch[0]!, hi: batch.at(-1)! };
    for (const row of await refreshBatch(client, db, batch, range, opts.skip, stats)) {
      if (!signedAvgPrice && row.avg_price.startsWith('-')) throw new NegativeAvgPriceError(row);
      // Rows come wallet by wallet: a full buffer is sent only where a new wallet begins.
      if (pending.length >= rowsPerInsert && pending.at(-1)!.wallet !== row.wallet) await flush();
      pending.push(row);
    }
    const more = i + walletsPerBatch < wallets.length;
    if (more && opts.shouldStop?.()) {
      await flush();
      const walletsDone = walletsBefore + i + batch.length;
      await writePartial(client, db, fromBlock, { upToBlock: target, throughWallet: batch.at(-1)!, wallets: walletsDone, events: eventsSoFar() });
      return done(target, walletsDone, written, false);
    }
  }
  await flush();
  const result = done(target, walletsBefore + wallets.length, written, target >= upToBlock);
  await writeProgress(client, db, { upToBlock: target, wallets: result.wallets, events: result.events });
  return result;
}

/** The changed positions of one batch of wallets after the window's events. */
async function refreshBatch(
  client: ClickHouseClient,
  db: string,
  wallets: string[],
  batch: Batch,
  skip: SkipRules | undefined,
  stats: MethodStats,
): Promise<PositionRow[]> {
  const [current, conditions, questions] = await Promise.all([
    loadPositions(client, db, batch),
    loadConditions(client, db, batch),
    loadQuestions(client, db, batch),
  ]);
  const ctx = methodContext(conditions, questions, skip, stats);
  const books = new Map<string, WalletPositions>(wallets.map((w) => [w, new Map()]));
  const versionBefore = new Map<string, number>();
  for (const row of current) {
    books.get(row.wallet)?.set(row.token_id, positionFromRow(row));
    versionBefore.set(`${row.wallet}/${row.token_id}`, positionVersion(row));
  }
  let ledger = null as WalletLedger | null;
  for await (const event of streamEvents(client, db, batch)) {
    if (ledger?.wallet !== event.wallet) {
      const positions = books.get(event.wallet);
      // Only events loaded after the refresh listed its wallets can do this: run it again.
      if (!positions) throw new Error(`event of ${event.wallet}, a wallet the refresh did not list: were events loaded during it?`);
      ledger = new WalletLedger(event.wallet, positions, ctx);
    }
    ledger.apply(event);
  }
  const changed: PositionRow[] = [];
  for (const [wallet, positions] of books) {
    for (const [tokenId, p] of positions) {
      const row = positionRow(wallet, tokenId, p);
      if (versionBefore.get(`${wallet}/${tokenId}`) !== positionVersion(row)) changed.push(row);
    }
  }
  return changed;
}

/** A positions table with an unsigned avg_price (an early draft of migration v3) cannot hold the method's negative NegRisk YES prices. */
export class NegativeAvgPriceError extends Error {
  override name = 'NegativeAvgPriceError';
  constructor(row: PositionRow) {
    super(
      `position ${row.wallet}/${row.token_id} has a negative average price (${row.avg_price}) after block ${row.block_number}, ` +
        'which positions.avg_price (UInt256) cannot hold: it needs to be Int256',
    );
  }
}
